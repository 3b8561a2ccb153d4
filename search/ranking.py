"""Ranking: BM25F summed per document from the term arrays, Whoosh's formula and operation
order (search/backend/whoosh_terms.py computes each term's contribution), and the backend's
own matchers for the few candidates whose scores nearly tie; then the first candidates of a
tier reordered by the proximity of the query's words (search/proximity.py); dates for
newest / oldest.

A document's summed score differs from Whoosh's only in the order of the final additions (a
few units in the last place).  Where two candidates come that close (ties, duplicates), the
backend scores those few itself, so the order is always Whoosh's.
"""
from __future__ import annotations

import numpy as np

from search import proximity
from search.query import FIELDS
from search.docsets import docs as node_docs
from search.plan import best_groups, scoring_terms

NEAR_TIE = 1e-9                   # relative score gap below which the backend's matchers decide the order
SPARSE_SHARE = 8                  # a Best's readings with fewer postings than 1/8 of the documents: sparse


def top(gen, node, docs: np.ndarray, limit: int, memo: dict | None = None) -> list[tuple[int, float]]:
    """The ``limit`` best (docnum, score) of the scoring ``node`` among ``docs`` (a mask), best
    first, ties by docnum — what ``searcher.search(q, limit=limit, filter=docs)`` returns."""
    terms = scoring_terms(node)
    groups = best_groups(node)
    gates = {}
    for gate, _, _, _ in terms:
        if gate is not None and gate not in gates:
            gates[gate] = node_docs(gen, gate)
    key = (tuple(terms), groups)
    scores = memo.get(key) if memo is not None else None
    if scores is None:
        scores = score_array(gen, terms, gates, groups)
        if memo is not None:
            memo[key] = scores
    cands = np.flatnonzero(docs)
    if not len(cands):
        return []
    s = scores[cands]
    if len(cands) > limit:
        floor = np.partition(s, len(s) - limit)[len(s) - limit]   # the limit-th best
        keep = s >= floor - NEAR_TIE * max(1.0, abs(floor))
        cands, s = cands[keep], s[keep]
    order = np.lexsort((cands, -s))
    cands, s = cands[order], s[order]
    near = np.abs(np.diff(s)) <= NEAR_TIE * np.maximum(1.0, np.abs(s[1:]))
    # constant-score prefixes (``field`` None) tie for real: their order is by docnum
    if near.any() and all(f is not None for _, f, _, _ in terms):
        at, rep = tie_representatives(gen, terms, gates, cands, near)
        if len(at):
            gate_docs = {g: np.flatnonzero(m) for g, m in gates.items()}
            exact = gen.reader.exact_scores(node, sorted(set(cands[rep].tolist())), gate_docs)
            s = s.copy()
            # every near-tied document scores what the backend gives its representative
            s[at] = [exact.get(d, v) for d, v in zip(cands[rep].tolist(), s[at].tolist())]
            order = np.lexsort((cands, -s))
            cands, s = cands[order], s[order]
    return list(zip(cands[:limit].tolist(), s[:limit].tolist()))


def tie_representatives(gen, terms, gates, cands: np.ndarray, near: np.ndarray):
    """Which near-tied candidates (``cands`` sorted by score, ``near``: each adjacent pair within
    NEAR_TIE) the backend must score: (their positions, the position of the document whose
    score each one takes).

    Two documents with the same contribution from every term (same term frequencies, same
    quantized field lengths: duplicates, common in news) get bit-identical sums here and in the
    backend (the same additions in the same order), so their order is by docnum in both and
    needs no rescoring.  Only a run of near-tied documents holding two or more different
    contribution vectors is rescored, one document per vector."""
    run = np.concatenate(([0], np.cumsum(~near)))          # run label of each candidate
    tied = np.flatnonzero(np.bincount(run)[run] > 1)
    vectors = contributions(gen, terms, gates, cands[tied])
    first: dict[tuple, int] = {}
    kinds: dict[int, int] = {}                             # run → distinct vectors in it
    rep = np.empty(len(tied), np.int64)
    for i, (r, row) in enumerate(zip(run[tied].tolist(), vectors)):
        key = (r, row.tobytes())
        if key not in first:
            first[key] = int(tied[i])
            kinds[r] = kinds.get(r, 0) + 1
        rep[i] = first[key]
    mixed = np.fromiter((kinds[r] > 1 for r in run[tied].tolist()), bool, len(tied))
    return tied[mixed], rep[mixed]


def contributions(gen, terms, gates, docs: np.ndarray) -> np.ndarray:
    """What each term of ``terms`` adds to each of ``docs`` (rows) in ``score_array``."""
    out = np.zeros((len(docs), len(terms)))
    for j, (gate, fieldname, text, boost) in enumerate(terms):
        entry = gen.reader.term(fieldname, text)
        if entry.contrib is None or not len(entry.ids):
            continue
        hit, i = entry.lookup(docs)
        if gate is not None:
            hit &= gates[gate][docs]
        add = entry.contrib[i[hit]]
        out[hit, j] = add * boost if boost != 1.0 else add
    return out


def score_array(gen, terms, gates, groups=()) -> np.ndarray:
    """Σ boost · BM25F(term) per docnum over ``terms`` = [(gate, field, text, boost)], the sum
    Whoosh's matchers compute (up to the order of the additions).  A term of a phrase counts
    only in the documents the phrase matches (``gates[phrase]``): Whoosh scores a phrase match
    as the sum of its words' scores.  The entries of a ``Best`` node (``groups``, from
    search/plan.py ``best_groups``) are not summed but combined as ``best_of`` does, after the
    rest (``_add_best``)."""
    scores = np.zeros(gen.n)
    grouped = {i for _, spans in groups for a, b in spans for i in range(a, b)}
    for i, (gate, fieldname, text, boost) in enumerate(terms):
        if i in grouped:
            continue
        if fieldname is None:             # a constant-score prefix: its score where it matches
            scores[gates[gate]] += boost
            continue
        ids, add = _term_part(gen, gates, gate, fieldname, text, boost)
        if ids is not None:
            scores[ids] += add            # a term's docnums are distinct
    if groups:
        peak = np.zeros(gen.n)            # each Best's largest reading per docnum; 0 between groups
        for tie, spans in groups:
            _add_best(gen, terms, gates, spans, tie, scores, peak)
    return scores


def _term_part(gen, gates, gate, fieldname, text, boost):
    """(docnums, what the term adds to each) of one scoring entry, (None, None) for nothing."""
    entry = gen.reader.term(fieldname, text)
    if entry.contrib is None or not len(entry.ids):
        return None, None
    add = entry.contrib * boost if boost != 1.0 else entry.contrib
    if gate is not None:
        add = np.where(gates[gate][entry.ids], add, 0.0)
    return entry.ids, add


def _add_best(gen, terms, gates, spans, tie, scores, peak) -> None:
    """Adds one ``Best`` node's score to ``scores``: best + tie · (total − best) written as
    tie · Σ readings + (1 − tie) · best, so the sum goes straight into ``scores`` and only the
    largest reading per document is kept (in ``peak``, zeros on entry and on return).  Rare
    readings are read back over their own docnums only (whole headlines have dozens of these
    nodes), frequent ones in two passes over every document.  Equal to ``best_of`` up to the
    last bits; near ties are rescored by the backend."""
    children = []
    for a, b in spans:
        if b - a == 1:
            ids, add = _term_part(gen, gates, *terms[a])
        else:                              # a phrase: its words summed first (rare: expansions)
            child = np.zeros(gen.n)
            for entry in terms[a:b]:
                ids, add = _term_part(gen, gates, *entry)
                if ids is not None:
                    child[ids] += add
            ids = np.flatnonzero(child)
            add = child[ids]
        if ids is not None and len(ids):
            children.append((ids, add))
    for ids, add in children:
        scores[ids] += tie * add           # a term's docnums are distinct
        peak[ids] = np.maximum(peak[ids], add)
    rest = 1.0 - tie
    if sum(len(ids) for ids, _ in children) * SPARSE_SHARE < gen.n:
        for ids, _ in children:            # each document's peak once: then zeroed
            scores[ids] += rest * peak[ids]
            peak[ids] = 0.0
    else:                                  # frequent readings: two passes over every document
        peak *= rest
        scores += peak
        peak[:] = 0.0


def best(gen, plan, docs: np.ndarray, limit: int, memo: dict | None = None) -> list[tuple[int, float]]:
    """``top`` of the plan's scoring node, its first ``proximity.WINDOW`` reordered by the
    proximity of the query's words (search/proximity.py): what the pages and the export list."""
    window = proximity.WINDOW if len(plan.words) > 1 else 0
    hits = top(gen, plan.scoring, docs, max(limit, window), memo)
    return proximity.rerank(gen, list(plan.words), hits, FIELDS, window)[:limit]


def ranked(gen, plan, tiers, offset: int, want: int, memo: dict | None = None):
    """(docnums, {docnum: score}) of the page [offset, want): the documents of each tier
    (masks: all units first, then partial matches) by score, tier after tier."""
    docnums: list[int] = []
    scores: dict[int, float] = {}
    skip = offset
    memo = {} if memo is None else memo   # tiers and pages score the same terms: sum them once
    for docs in tiers:
        size = int(np.count_nonzero(docs))
        if size <= skip:
            skip -= size
            continue
        for docnum, score in best(gen, plan, docs, skip + (want - offset) - len(docnums), memo)[skip:]:
            docnums.append(docnum)
            scores[docnum] = score
        skip = 0
        if len(docnums) >= want - offset:
            break
    return docnums[: want - offset], scores


def by_date(gen, docs: np.ndarray, want: int, sort: str) -> list[int]:
    """The ``want`` first of ``docs`` (docnums), newest first by (date, docnum) descending, or
    oldest first by (undated, date, docnum), through a rank per docnum."""
    key = gen.rank_oldest[docs] if sort == "oldest" else -gen.rank_newest[docs]
    if len(docs) > want:
        part = np.argpartition(key, want - 1)[:want]
        docs, key = docs[part], key[part]
    return docs[np.argsort(key, kind="stable")].tolist()


def dated(gen, tiers, docs_of_full: np.ndarray, offset: int, want: int, sort: str) -> list[int]:
    """The docnums of the page [offset, want) by date, tier after tier."""
    docnums: list[int] = []
    skip = offset
    for i, tier in enumerate(tiers):
        tier_docs = docs_of_full if i == 0 else np.flatnonzero(tier)
        if len(tier_docs) <= skip:
            skip -= len(tier_docs)
            continue
        docnums += by_date(gen, tier_docs, skip + want - offset - len(docnums), sort)[skip:]
        skip = 0
        if len(docnums) >= want - offset:
            break
    return docnums[: want - offset]
