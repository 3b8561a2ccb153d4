"""The evaluation corpus and its known-item query sets (described in bench/eval/RESULTS.md).

Corpus: the 24.kg articles of 100+ words (``../shared/corpus/24kg/articles.jsonl``; it has no titles).
Two setups of the same articles:

``full``     each article as it is (no title: the engine indexes the body only).
``unseen``   each article WITHOUT its first sentence; that sentence (24.kg leads read like
             headlines: "«Айыл-Банктын» төрт жетекчиси кармалды.") becomes a query the index has
             never seen, like another outlet's headline over its body.

Query sets (one target article each):

``known``      hand-written queries (``known_items.tsv``, frozen before any variant was run)
``lead``       the whole first sentence (in ``full`` it is verbatim in the document)
``lead3``      its 3 longest words, as written
``lead3fold``  the same typed on a Russian keyboard (ң→н ө→о ү→у)
``rare``       a later body sentence's 4 rarest words (each in 2+ articles, so no unique name
               gives the answer away) → its article
``head`` / ``head3`` / ``head3fold``  the same as lead* in the ``unseen`` setup

A third setup, ``para`` (``p:`` columns), searches the ``full`` index with another outlet's kind of
headline, made from each article by ``HeadlineModel``: a headline of a news headline's length
(UD_Kyrgyz-KTMU's 1,258 headlines), most words from the lead, some written in another form of the
same stem, some taken from the rest of the article, some from no part of it.  The model's four
shares were set once (``calibrate.py``) so that the plain-Whoosh baselines score on ``p:`` what the
issue reports they score on its held-out set; they are frozen here.
"""
from __future__ import annotations

import bisect
import csv
import json
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from indexer.analysis import CleanFilter, CompoundFilter, KyTokenizer, TOKEN_RE, fold, is_stopword, stem

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = (ROOT / ".." / "shared" / "corpus" / "24kg" / "articles.jsonl").resolve()
UD = (ROOT / ".." / "shared" / "ud" / "ky_ktmu-ud-train.conllu").resolve()
KNOWN = HERE / "known_items.tsv"
MIN_WORDS = 100
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"“A-ZА-ЯЁҢӨҮ0-9])")

# the project's tokenizer and normalizer without the stemmer: the exact (surface) form of a word
EXACT = KyTokenizer() | CleanFilter() | CompoundFilter()


def exact_tokens(text: str) -> list[str]:
    return [t.text for t in EXACT(text)]


@dataclass(frozen=True)
class Doc:
    id: str
    lead: str      # first sentence of the indexed text
    text: str      # the whole indexed text (lead included)
    topics: tuple


@dataclass(frozen=True)
class Query:
    set: str
    target: str
    text: str


def split_lead(body: str) -> tuple[str, str]:
    """(first sentence, the rest) of a body."""
    body = body.strip()
    first_para = body.split("\n", 1)[0]
    lead = _SENTENCE_END.split(first_para, 1)[0].strip()
    rest = body[body.index(lead) + len(lead):].strip() if lead else body
    return lead, rest


def sentences(text: str) -> list[str]:
    out = []
    for para in text.split("\n"):
        out.extend(s.strip() for s in _SENTENCE_END.split(para) if s.strip())
    return out


def load_articles(path: Path = CORPUS) -> list[dict]:
    """The evaluation corpus: the articles of ``MIN_WORDS``+ words."""
    return [a for a in load_corpus(path) if len(a["body"].split()) >= MIN_WORDS]


def make_docs(arts: list[dict], setup: str) -> list[Doc]:
    docs = []
    for a in arts:
        text = a["body"].strip()
        if setup == "unseen":
            text = split_lead(text)[1]
        docs.append(Doc(a["id"], split_lead(text)[0], text, tuple(a.get("topics") or ())))
    return docs


def words(text: str) -> list[str]:
    """Surface words of a text (no numbers), as written."""
    return [m.group(0) for m in TOKEN_RE.finditer(text) if not m.group(0).isdigit()]


def longest3(text: str) -> str:
    ws = words(text)
    top = sorted(range(len(ws)), key=lambda i: (-len(ws[i]), i))[:3]
    return " ".join(ws[i] for i in sorted(top))


def rare_query(a: dict, df: dict[str, int], lead: str) -> str | None:
    rng = random.Random(zlib.crc32(a["id"].encode()))
    cands = [s for s in sentences(a["body"]) if s != lead and len(words(s)) >= 8]
    if not cands:
        return None
    sent = rng.choice(cands)
    seen, pool = set(), []
    for i, w in enumerate(words(sent)):
        norm = exact_tokens(w)[:1]
        if not norm or len(w) < 3 or is_stopword(w) or norm[0] in seen:
            continue
        seen.add(norm[0])
        n = df.get(norm[0], 0)
        if n >= 2:
            pool.append((n, -len(w), i, w))
    if len(pool) < 3:
        return None
    pick = sorted(pool)[:4]
    return " ".join(w for _, _, _, w in sorted(pick, key=lambda p: p[2]))


def known_items(ids: set[str]) -> list[Query]:
    with open(KNOWN, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    missing = [r["id"] for r in rows if r["id"] not in ids]
    if missing:
        raise SystemExit(f"{KNOWN}: ids not in the evaluation corpus: {', '.join(missing)}")
    return [Query("known", r["id"], r["query"]) for r in rows]


# ---------------------------------------------------------------- another outlet's headlines (``para``)

@dataclass(frozen=True)
class HeadlineModel:
    """How another outlet's headline over an article relates to the article's own text.

    A headline has ``length_scale`` × the length of a headline drawn from UD_Kyrgyz-KTMU (news
    headlines, 8 words on average) words, at most the lead's; they are lead words, in the lead's
    order, each of them independently replaced with probability ``foreign`` by a word of another
    article (a paraphrase: the target does not have it, other articles may), else with
    ``from_body`` by a word of the rest of the article (a fact the lead does not give), else with
    ``reinflect`` (words of 4+ letters) by another form in the corpus of its stem, or a word the
    stem begins (a derivation: коррупция → коррупциялык), as a headline writes its own forms.
    Content words (4+ letters, no stop word) are drawn for replacements."""
    length_scale: float = 0.8
    reinflect: float = 0.35
    from_body: float = 0.30
    foreign: float = 0.15
    salt: str = ""


PARA = HeadlineModel()     # set by calibrate.py (RESULTS.md "Another outlet's headlines"), frozen


def ud_headline_lengths(path: Path = UD) -> list[int]:
    """Words (no numbers) of each headline of the UD_Kyrgyz-KTMU train file."""
    with open(path, encoding="utf-8") as f:
        return [len(words(line.split("=", 1)[1])) for line in f if line.startswith("# text")]


def _content_words(text: str) -> list[str]:
    return [w for w in words(text) if len(w) >= 4 and not is_stopword(w)]


class Paraphraser:
    """Makes a ``HeadlineModel`` headline for an article; reproducible (seeded by its id)."""

    def __init__(self, corpus: list[dict], lengths: list[int], model: HeadlineModel = PARA):
        self.model, self.lengths = model, lengths
        self.others = [ws for a in corpus if (ws := _content_words(a["body"]))]
        self.sorted = sorted({w.lower() for a in corpus for w in words(a["body"]) if len(w) >= 3})
        self.by_stem: dict[str, list[str]] = {}
        for w in self.sorted:
            self.by_stem.setdefault(stem(w), []).append(w)

    def forms(self, word: str) -> list[str]:
        """Other corpus forms of a word's stem, and the words its stem begins."""
        low = word.lower()
        st = stem(low)
        out = set(self.by_stem.get(st, ()))
        if len(st) >= 4:
            i = bisect.bisect_left(self.sorted, st)
            while i < len(self.sorted) and self.sorted[i].startswith(st):
                out.add(self.sorted[i])
                i += 1
        out.discard(low)
        return sorted(out)

    def headline(self, a: dict) -> str | None:
        m = self.model
        rng = random.Random(zlib.crc32((a["id"] + m.salt).encode()))
        lead, rest = split_lead(a["body"])
        ws = words(lead)
        if len(ws) < 3:
            return None
        n = max(3, round(rng.choice(self.lengths) * m.length_scale))
        body_words = _content_words(rest)
        out = []
        for i in sorted(rng.sample(range(len(ws)), min(n, len(ws)))):
            w, x = ws[i], rng.random()
            if x < m.foreign:
                w = rng.choice(rng.choice(self.others))
            elif x < m.foreign + m.from_body:
                if body_words:
                    w = rng.choice(body_words)
            elif x < m.foreign + m.from_body + m.reinflect and len(w) >= 4:
                forms = self.forms(w)
                if forms:
                    f = rng.choice(forms)
                    w = f[:1].upper() + f[1:] if w[:1].isupper() else f
            out.append(w)
        return " ".join(out)


def para_sets(arts: list[dict], corpus: list[dict], model: HeadlineModel = PARA,
              lengths: list[int] | None = None) -> dict[str, list[Query]]:
    """The ``para`` setup's sets: ``head`` (the headline), ``head3`` (its 3 longest words),
    ``head3fold`` (those on a Russian keyboard)."""
    maker = Paraphraser(corpus, lengths or ud_headline_lengths(), model)
    out = {"head": [], "head3": [], "head3fold": []}
    for a in arts:
        h = maker.headline(a)
        if h is None:
            continue
        three = longest3(h)
        out["head"].append(Query("head", a["id"], h))
        out["head3"].append(Query("head3", a["id"], three))
        out["head3fold"].append(Query("head3fold", a["id"], fold(three)))
    return out


def write_query_sets(sets: dict[str, dict[str, list[Query]]], path: Path) -> None:
    """{setup: {set: [Query]}} as JSON, to score another analyzer on the same queries."""
    data = {setup: {name: [[q.target, q.text] for q in qs] for name, qs in named.items()}
            for setup, named in sets.items()}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def read_query_sets(path: Path) -> dict[str, dict[str, list[Query]]]:
    """What ``write_query_sets`` wrote."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {setup: {name: [Query(name, target, text) for target, text in qs] for name, qs in named.items()}
            for setup, named in data.items()}


def load_corpus(path: Path = CORPUS) -> list[dict]:
    """Every article of the corpus (the paraphraser's vocabulary), short ones too."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def query_sets(arts: list[dict], limit: int | None = None) -> dict[str, dict[str, list[Query]]]:
    """{setup: {set name: [Query]}}; ``limit`` samples each automatic set (seeded)."""
    ids = {a["id"] for a in arts}
    df: dict[str, int] = {}
    for a in arts:
        for t in set(exact_tokens(a["body"])):
            df[t] = df.get(t, 0) + 1
    known = known_items(ids)
    full = {"known": known, "lead": [], "lead3": [], "lead3fold": [], "rare": []}
    unseen = {"known": known, "head": [], "head3": [], "head3fold": []}
    for a in arts:
        lead, rest = split_lead(a["body"])
        if len(words(lead)) >= 3:
            three = longest3(lead)
            full["lead"].append(Query("lead", a["id"], lead))
            full["lead3"].append(Query("lead3", a["id"], three))
            full["lead3fold"].append(Query("lead3fold", a["id"], fold(three)))
            if len(words(rest)) >= 50:
                unseen["head"].append(Query("head", a["id"], lead))
                unseen["head3"].append(Query("head3", a["id"], three))
                unseen["head3fold"].append(Query("head3fold", a["id"], fold(three)))
        r = rare_query(a, df, lead)
        if r:
            full["rare"].append(Query("rare", a["id"], r))
    para = para_sets(arts, load_corpus()) if UD.exists() else {}
    if limit:
        for sets in (full, unseen, para):
            for name, qs in sets.items():
                if name != "known" and len(qs) > limit:
                    sets[name] = sorted(random.Random(12).sample(qs, limit), key=lambda q: q.target)
    return {"full": full, "unseen": unseen, "para": para}
