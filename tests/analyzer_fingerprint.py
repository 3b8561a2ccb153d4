"""What the analyzer makes of a fixed set of texts and words, as committed data.

``tests/data/analyzer_tokens.tsv`` holds the full token streams of the texts the
repository owns (``data/sample``, the Russian fixture documents) and the stems and
language decisions of its word lists; ``tests/data/analyzer_digests.tsv`` holds
digests of the same for ../shared (each 24.kg article in the three analyzer modes,
the vocabulary of the corpus and of the UD / UniMorph files), because the corpus
texts may not be copied into the repository.  Both were written by the analyzer
``ky-4`` as it was before its speed-up (commit ade29b0) and are only ever compared
against, never rewritten by a test (for ``ky-5``, whose ``ANALYZER`` gives the same stems,
rewriting changed the header line only; for ``ky-7``, which reads ӊ ѳ ɵ … as ң ө ү, the digests of
the 25 articles and the vocabulary groups with such letters changed, and nothing else:
``tests/test_letter_variants.py`` checks the corpus token by token; for ``ky-8``, which protects
frequent news nouns from being cut into shorter roots, the words and articles with those nouns changed,
``tests/test_morphology.py`` checks them against their bare forms; for ``ky-9``, which cuts the bare
-а/-е converb after a listed verb stem, the words ending so and the articles with them changed,
``tests/test_morphology.py`` checks the converbs with their verbs; for ``ky-10``, which reads the
progressive passive as the verb and Russian nouns made verbs by -ла as the noun, the words with those
endings and the articles with them changed, ``tests/test_morphology.py`` checks them with their verbs and nouns):

    .venv/bin/python -m tests.analyzer_fingerprint --write    # only on purpose, with a new ANALYZER_VERSION
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "24kg" / "articles.jsonl"
UD_FILES = (SHARED / "ud" / "ky_ktmu-ud-train.conllu", SHARED / "ud" / "unimorph-kir" / "kir_unimorph_fixed.conllu")
UNIMORPH_RAW = SHARED / "ud" / "unimorph-kir" / "kir.tsv"
TOKENS_FILE = ROOT / "tests" / "data" / "analyzer_tokens.tsv"
DIGESTS_FILE = ROOT / "tests" / "data" / "analyzer_digests.tsv"
MODES = ("index", "query", "phrase")


def _digest(lines) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:20]


def token_lines(text: str):
    """One line per token and mode: mode, text, position, start, end."""
    from indexer.analysis import analyze
    for mode in MODES:
        for t in analyze(text, mode=mode):
            yield f"{mode}\t{t.text}\t{t.pos}\t{t.start}\t{t.end}"


def word_line(word: str) -> str:
    """A raw word: its stem, its keyboard-folded stem, its upper-case stem, its language."""
    from indexer import morphology
    from indexer.analysis import fold, normalize, stem
    w = normalize(word)
    language = morphology.word_language(w) if w.isalpha() else "-"
    return "\t".join((word, stem(word), stem(fold(word)), stem(word.upper()), language))


def owned_texts() -> list[tuple[str, str]]:
    """(name, text) of the texts in the repository: the sample pages and the Russian fixture."""
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "data" / "sample").glob("*.txt"))]
    with open(ROOT / "tests" / "data" / "ru_fixture_corruption.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                texts.append((doc["id"], f"{doc.get('title', '')}\n{doc['body']}"))
    return texts


def owned_words() -> list[str]:
    from indexer import lang
    words = set(lang.read_words("ru_sample.tsv"))
    with open(ROOT / "tests" / "data" / "ru_domain_forms.tsv", encoding="utf-8") as fh:
        for line in fh:
            form = line.split("\t")[0].strip()
            if form and not form.startswith("#") and form != "form":
                words.add(form)
    return sorted(words)


def owned_lines():
    for name, text in owned_texts():
        for line in token_lines(text):
            yield f"text\t{name}\t{line}"
    for word in owned_words():
        yield f"word\t{word_line(word)}"


def corpus_articles(path: Path = CORPUS) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return [(d["id"], d["body"]) for d in (json.loads(line) for line in fh if line.strip())]


def shared_words() -> dict[str, list[str]]:
    """Raw word lists of ../shared: the 24.kg tokens, the UD and UniMorph forms."""
    from indexer.analysis import TOKEN_RE
    lists: dict[str, set[str]] = {"24kg": set()}
    for _, body in corpus_articles():
        lists["24kg"].update(m.group() for m in TOKEN_RE.finditer(body))
    for path in UD_FILES:
        forms = lists.setdefault(path.name, set())
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                cols = line.split("\t")
                if len(cols) > 3 and cols[0].isdigit():
                    forms.update(m.group() for m in TOKEN_RE.finditer(cols[1]))
    raw = lists.setdefault(UNIMORPH_RAW.name, set())
    with open(UNIMORPH_RAW, encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 1:
                raw.update(m.group() for m in TOKEN_RE.finditer(cols[1]))
    return {name: sorted(words) for name, words in lists.items()}


def _bucket(word: str) -> str:
    """Words are digested in groups by their first letter, so that a failure says where."""
    return word[:1].lower() if word[:1].isalpha() else "#"


def shared_digests():
    """(key, count, digest) rows for ../shared."""
    for doc_id, body in corpus_articles():
        lines = list(token_lines(body))
        yield f"article:{doc_id}", len(lines), _digest(lines)
    for name, words in shared_words().items():
        buckets: dict[str, list[str]] = {}
        for word in words:
            buckets.setdefault(_bucket(word), []).append(word_line(word))
        for key in sorted(buckets):
            yield f"words:{name}:{key}", len(buckets[key]), _digest(buckets[key])


def read_digests(path: Path = DIGESTS_FILE) -> dict[str, tuple[int, str]]:
    rows = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            key, count, digest = line.rstrip("\n").split("\t")
            rows[key] = (int(count), digest)
    return rows


def write() -> None:
    from indexer.analysis import ANALYZER_VERSION
    header = f"# analyzer {ANALYZER_VERSION}; written by tests/analyzer_fingerprint.py --write\n"
    with open(TOKENS_FILE, "w", encoding="utf-8") as fh:
        fh.write(header)
        for line in owned_lines():
            fh.write(line + "\n")
    with open(DIGESTS_FILE, "w", encoding="utf-8") as fh:
        fh.write(header)
        for key, count, digest in shared_digests():
            fh.write(f"{key}\t{count}\t{digest}\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="rewrite the committed files from the current analyzer")
    args = ap.parse_args(argv)
    if not args.write:
        ap.print_help()
        return 2
    if not CORPUS.exists():
        print(f"{CORPUS} is missing", file=sys.stderr)
        return 1
    write()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
