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
"""
from __future__ import annotations

import csv
import json
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from indexer.analysis import CleanFilter, CompoundFilter, KyTokenizer, TOKEN_RE, fold, is_stopword

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = (ROOT / ".." / "shared" / "corpus" / "24kg" / "articles.jsonl").resolve()
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
    arts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            if len(a["body"].split()) >= MIN_WORDS:
                arts.append(a)
    return arts


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
    if limit:
        for sets in (full, unseen):
            for name, qs in sets.items():
                if name != "known" and len(qs) > limit:
                    sets[name] = sorted(random.Random(12).sample(qs, limit), key=lambda q: q.target)
    return {"full": full, "unseen": unseen}
