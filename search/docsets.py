"""Document sets as numpy boolean masks over a generation's docnums: plan nodes (set algebra
over term postings; phrases on the position keys of the documents having all their words),
filters and date ranges."""
from __future__ import annotations

import datetime as dt

import numpy as np

from indexer import fields as registry
from search.facets import kind_of
from search.filters import Filters
from search.plan import And, AndNot, Best, Not, Or, Phrase, Prefix, Term


def docs(gen, node) -> np.ndarray:
    """The documents ``node`` matches (deleted ones included: callers intersect with live)."""
    kind = type(node)
    if kind is Term:
        return gen.mask(gen.reader.term(node.field, node.text).ids)
    if kind is Or or kind is Best:
        mask = gen.mask()
        for sub in node.children:
            if type(sub) is Term:
                mask[gen.reader.term(sub.field, sub.text).ids] = True
            else:
                mask |= docs(gen, sub)
        return mask
    if kind is And:
        mask = None
        for sub in node.children:
            m = docs(gen, sub)
            mask = m if mask is None else (mask & m)
        return mask if mask is not None else gen.mask()
    if kind is Not:
        return ~docs(gen, node.child)
    if kind is AndNot:
        return docs(gen, node.positive) & ~docs(gen, node.negative)
    cached = gen.docsets.get(node)
    if cached is not None:
        return gen.mask(cached)
    if kind is Prefix:
        mask = any_term(gen, node.field, node.terms)
    elif kind is Phrase:
        mask = phrase_docs(gen, node.field, node.words)
    else:
        raise TypeError(f"not a plan node: {node!r}")
    gen.docsets.put(node, np.flatnonzero(mask).astype(np.int32))
    return mask


def any_term(gen, fieldname: str, terms) -> np.ndarray:
    mask = gen.mask()
    for t in terms:
        mask[gen.reader.term(fieldname, t).ids] = True
    return mask


def phrase_docs(gen, fieldname: str, slots: list[list[str]]) -> np.ndarray:
    """The documents where the slots' words stand at consecutive positions (one word of each
    slot), what Whoosh's ``Phrase`` / ``Sequence`` (slop 1) match: among the documents having a
    word of every slot, the position keys of the first slot, kept where key + i is a key of
    slot i, for every i."""
    candidates = None
    for slot in slots:
        m = any_term(gen, fieldname, slot)
        candidates = m if candidates is None else (candidates & m)
    if not candidates.any():
        return candidates
    starts = None
    for i, slot in enumerate(slots):
        keys = [gen.reader.positions(fieldname, t) for t in slot]
        keys = keys[0] if len(keys) == 1 else np.unique(np.concatenate(keys))
        keys = keys[candidates[keys >> 32]]          # only documents still in the running
        if starts is None:
            starts = keys
        else:
            want = starts + i
            at = np.searchsorted(keys, want)
            at[at == len(keys)] = 0
            starts = starts[keys[at] == want] if len(keys) else starts[:0]
        if not len(starts):
            return gen.mask()
        candidates = gen.mask(starts >> 32)
    return candidates


def filter_docs(gen, filters: Filters) -> np.ndarray | None:
    """The live documents within ``filters`` (None when no filter is set), cached."""
    if not filters.active:
        return None
    cached = gen.filters.get(filters)
    if cached is not None:
        return cached
    mask = gen.live.copy()
    if filters.date_from or filters.date_to:
        lo = date_int(filters.date_from) if filters.date_from else 1
        hi = date_int(filters.date_to) if filters.date_to else 99991231
        mask &= date_range_docs(gen, max(lo, 1), hi)
    for name, values in filters.chosen:           # each value facet of the registry
        mask &= kind_of(registry.facet(name)).matching(gen, values)
    return gen.filters.put(filters, mask)


def date_range_docs(gen, lo: int, hi: int) -> np.ndarray:
    """Documents dated lo ≤ yyyymmdd ≤ hi (lo ≥ 1: undated ones never match), by binary
    search in the docnums sorted by date (the same set as ``NumericRange("date", lo, hi)``)."""
    order, keys = gen.by_date
    i = int(np.searchsorted(keys, lo, side="left"))
    j = int(np.searchsorted(keys, hi, side="right"))
    return gen.mask(order[i:j])


def date_int(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def ids(mask: np.ndarray) -> set[int]:
    """The docnums of a mask, as a set of ints (for tests)."""
    return set(np.flatnonzero(mask).tolist())
