"""The stems of a generation's words, saved beside it (``stems.tsv``).

The marked postings (indexer/marked.py) hold every word's exact form (``=коррупцияга``).  Before a generation
is published, what the analyzer makes of each of those forms is written next to its segments;
a search process that opens the generation loads it into the analyzer
(``analysis.remember_stems``), so that highlighting the words of a hit and analyzing a query word
the index has are a dict lookup instead of a run of the stemmer (≈ 45 µs a new word: most of a
fresh results page before, README "What the query path does").

Derived data, like the compact postings: a generation without the file, or with one written by
another analyzer version, other language tables (``lang.data_fingerprint``) or whose digest does
not check out, is served as before — the stemmer runs.  The file never decides an index term:
it only holds what the stemmer gave for these exact forms under the same analyzer and tables.

Format: one header line ``# kgsearch-stems <analyzer> <tables> <count> <sha256>`` (``tables``: the
combined fingerprint of the language tables, ``sha256``: of the lines that follow), then
``form<TAB>stem`` per line, forms sorted.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from whoosh import index as whoosh_index

from indexer import analysis, marked
from indexer.lang import data_fingerprint

FILE = "stems.tsv"
MAX_FORMS = 1_000_000        # the most frequent forms beyond this are left to the stemmer
_HEADER = "# kgsearch-stems"


def _stamp() -> tuple[str, str]:
    return analysis.ANALYZER_VERSION, data_fingerprint()["combined"]


def exact_forms(path: Path) -> list[str]:
    """The exact forms of a committed generation's text fields (the ``=form`` terms of its marked
    postings, indexer/marked.py), most documents first, at most ``MAX_FORMS``."""
    mark = analysis.EXACT_MARK
    df: dict[str, int] = {}
    ix = whoosh_index.open_dir(str(path))
    try:
        with ix.reader() as reader:
            leaves = [leaf for leaf, _ in reader.leaf_readers()] if not reader.is_atomic() else [reader]
            per_field: dict[str, dict[str, int]] = {}
            for leaf in leaves:
                for f in marked.fields(reader.schema):
                    store = marked.MarkedPostings.open(path, leaf.segment().segment_id(), f, leaf.doc_count_all())
                    if store is None:
                        continue
                    counts = per_field.setdefault(f, {})
                    for term, n in store.frequencies().items():
                        if term.startswith(mark):
                            counts[term] = counts.get(term, 0) + n
            for counts in per_field.values():
                for term, n in counts.items():
                    df[term] = max(df.get(term, 0), n)
    finally:
        ix.close()
    ranked = sorted(df, key=lambda t: (-df[t], t))[:MAX_FORMS]
    return [t[len(mark):] for t in ranked]


def write(path: Path, previous: Path | None = None) -> dict:
    """``stems.tsv`` of the committed generation at ``path``; the stems of forms the
    ``previous`` generation's valid file has are taken from it (an ``add`` stems only its new
    words).  Returns what the manifest's publish step reports."""
    known = read(previous / FILE) if previous is not None else None
    known = known or {}
    stem = analysis.stem_normalized
    pairs = sorted((form, known.get(form) or stem(form)) for form in exact_forms(path))
    body = "".join(f"{form}\t{s}\n" for form, s in pairs)
    version, tables = _stamp()
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    tmp = path / (FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(f"{_HEADER} {version} {tables} {len(pairs)} {digest}\n")
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path / FILE)
    return {"stems": f"{len(pairs)} word forms"}


def read(file: Path) -> dict[str, str] | None:
    """The form → stem map of a stems file written by this analyzer with these tables, or None
    (no file, unreadable, another analyzer or tables, a count or digest that does not check out,
    a malformed line)."""
    try:
        with open(file, encoding="utf-8", newline="\n") as fh:
            header = fh.readline().rstrip("\n").split(" ")
            body = fh.read()
    except (OSError, UnicodeDecodeError):
        return None
    if len(header) != 6 or " ".join(header[:2]) != _HEADER or tuple(header[2:4]) != _stamp():
        return None
    if hashlib.sha256(body.encode("utf-8")).hexdigest() != header[5]:
        return None
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if str(len(lines)) != header[4]:
        return None
    out: dict[str, str] = {}
    for line in lines:
        form, tab, stem = line.partition("\t")
        if not tab or not form or not stem or "\t" in stem:
            return None
        out[form] = stem
    return out


def load(path: Path) -> int:
    """Load the generation's stems into the analyzer; how many forms (0: none usable)."""
    got = read(Path(path) / FILE)
    if not got:
        return 0
    analysis.remember_stems(got)
    return len(got)
