"""Proximity: among a tier's best candidates, the documents where the query's words stand close
together move up.

A query of several words (a headline, a few remembered words) finds its article more often when
its words stand together somewhere in the document, as in the sentence the query recalls, than
when they are scattered over an article on the same subject.  The measure is a cover density:
the largest idf-weighted share of the query's words found within any ``SPAN`` consecutive
positions of a text field (1.0: every word within one short stretch), squared, times ``WEIGHT``
times the tier's best score, added to the candidate's BM25F score.  Being relative to the best
score, the bonus can reorder near neighbours but not lift a weak match over a strong one.
Measured in bench/eval/RESULTS.md ("After the fourth change"), where BM25TP (Rasolofo & Savoy,
2003: 1/d² per nearby pair of words, saturated like a term) was tried too and moved nothing.

What takes part: the query's top-level words (search/plan.py ``ProxWord``; a phrase already asks
for adjacency, a prefix has no one position), each by the index terms that find it (its stem,
keyboard-fold variants, expansions), read from the backend's positions; a query of one word has
no proximity.  Only the first ``WINDOW`` candidates of each tier (in BM25F order) are rescored
and reordered, so a page, the next page and an export agree, and the cost is bounded by the
window, not by the number of matches.
"""
from __future__ import annotations

import math

import numpy as np

from search.plan import ProxWord

SPAN = 10             # consecutive positions a cover may take
WEIGHT = 0.4          # the bonus of a full cover, as a share of the tier's best score (RESULTS.md: the sweep)
WINDOW = 20           # candidates per tier rescored (the first two pages of ten)


def idf(gen, word: ProxWord) -> float:
    """Whoosh's idf, log(N / (df + 1)) + 1, of the word's most frequent term in the body (the
    reading of it that most documents have: the most modest weight)."""
    df = max((len(gen.reader.term("body", t).ids) for t in word.terms("body")), default=0)
    return math.log(max(gen.n, 1) / (df + 1)) + 1


def occurrences(gen, words: list[ProxWord], fieldname: str, docs: np.ndarray):
    """(candidate index, position, word index) of every place a word occurs in ``docs`` (sorted
    docnums) in ``fieldname``, once per position and word, sorted by candidate then position."""
    parts = []
    for wi, word in enumerate(words):
        for text in word.terms(fieldname):
            keys = gen.reader.positions_in(fieldname, text, docs)    # those documents' only
            if not len(keys):
                continue
            parts.append(np.stack([np.searchsorted(docs, keys >> 32), keys & 0xFFFFFFFF,
                                   np.full(len(keys), wi)], axis=1))
    if not parts:
        return np.zeros((0, 3), np.int64)
    occ = np.unique(np.concatenate(parts).astype(np.int64), axis=0)   # sorted rows, duplicates once
    return occ


def cover(gen, words: list[ProxWord], docnums, fields) -> np.ndarray:
    """For each of ``docnums`` (any order): the largest idf-weighted share of ``words`` that
    occur within ``SPAN`` consecutive positions of one of ``fields``."""
    docnums = np.asarray(docnums, np.int64)
    best = np.zeros(len(docnums))
    if len(words) < 2 or not len(docnums):
        return best
    order = np.argsort(docnums, kind="stable")
    docs = docnums[order]
    share = np.array([idf(gen, w) for w in words])
    share /= share.sum()
    got = np.zeros(len(docs))
    for fieldname in fields:
        occ = occurrences(gen, words, fieldname, docs)
        if not len(occ):
            continue
        cand, pos, wi = occ[:, 0], occ[:, 1], occ[:, 2]
        # a window starts at each occurrence and holds the words of the next ones within SPAN
        has = np.zeros((len(occ), len(words)), bool)
        has[np.arange(len(occ)), wi] = True
        for shift in range(1, len(occ)):
            inside = (cand[:-shift] == cand[shift:]) & (pos[shift:] - pos[:-shift] < SPAN)
            if not inside.any():          # sorted by position: later shifts are farther still
                break
            at = np.flatnonzero(inside)
            has[at, wi[at + shift]] = True
        np.maximum.at(got, cand, has @ share)
    best[order] = got
    return best


def rerank(gen, words: list[ProxWord], hits: list[tuple[int, float]], fields,
           window: int | None = None) -> list[tuple[int, float]]:
    """``hits`` (docnum, score), best first, with the first ``window`` rescored as score +
    WEIGHT · best score · cover² and reordered by it (ties keep their order); the rest as they
    were (below every rescored one: a bonus is never negative)."""
    window = WINDOW if window is None else window
    if window <= 0 or len(words) < 2 or len(hits) < 2:
        return hits
    head = hits[:window]
    extra = WEIGHT * head[0][1] * cover(gen, words, [d for d, _ in head], fields) ** 2
    if not extra.any():
        return hits
    rescored = sorted(((s + x, i, d) for i, ((d, s), x) in enumerate(zip(head, extra.tolist()))),
                      key=lambda r: (-r[0], r[1]))
    return [(d, s) for s, _, d in rescored] + hits[window:]

