"""Facets as objects, one class per kind of the field registry (``indexer/fields.py``): each
turns chosen values into a doc set (its filter) and counts its values over any doc set.

The engine calls ``kind_of(facet)`` for every registry facet in ``_filter_docs`` and
``_facets``; these classes reach the index only through the engine's term postings
(``engine._term``) and the generation's state (``st``), so they hold no Whoosh code."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from indexer import fields as registry


class TermFacet:
    """A facet whose values are the index's own terms of one field (a place facet): no list
    outside the index, no limit on their number; the counts over any documents are one
    ``bincount`` of (value per posting) over the postings of those documents."""

    def __init__(self, facet: registry.Facet):
        self.facet = facet

    def terms(self, engine, st):
        """(values sorted, value index per posting, docnum per posting), per generation; an index
        built without the field has none."""
        field = self.facet.field
        got = st.place_masks.get(field)
        if got is None:
            names = []
            if field in st.searcher.schema:
                with st.wlock:
                    names = sorted(st.searcher.reader().field_terms(field))
            ids = [engine._term(st, field, name).ids for name in names]
            which = np.repeat(np.arange(len(names), dtype=np.int32), [len(i) for i in ids])
            docs = np.concatenate(ids) if ids else np.zeros(0, np.int32)
            got = st.place_masks[field] = (names, which, docs)
        return got

    def chosen(self, names: list[str], values) -> list[int]:
        """The indexes (into ``names``) of the terms the chosen values stand for."""
        where = {name: i for i, name in enumerate(names)}
        return [where[v] for v in values if v in where]

    def matching(self, engine, st, values) -> np.ndarray:
        """The documents (deleted ones too: callers intersect with live) having any of ``values``;
        none when the index has no such term (or no such field)."""
        names = self.terms(engine, st)[0]
        mask = np.zeros(st.n, bool)
        for i in self.chosen(names, values):
            mask[engine._term(st, self.facet.field, names[i]).ids] = True     # the term's cached postings
        return mask

    def counts(self, engine, st, mask: np.ndarray) -> dict[str, int]:
        """{value: documents of ``mask`` (a boolean mask) having it}, most first, then by value."""
        names, which, docs = self.terms(engine, st)
        counts = np.bincount(which[mask[docs]], minlength=len(names))
        found = {names[b]: int(counts[b]) for b in np.flatnonzero(counts)}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


class KeywordFacet(TermFacet):
    """Values as the input spells them (JSON Lines ``topics``); a chosen value is its own term,
    or, when the index has no such term, every term equal to it but for letter case."""

    def chosen(self, names: list[str], values) -> list[int]:
        where = {name: i for i, name in enumerate(names)}
        out = []
        for value in values:
            if value in where:
                out.append(where[value])
            else:
                folded = value.casefold()
                out += [i for i, name in enumerate(names) if name.casefold() == folded]
        return out


class YearFacet:
    """Documents per year of their date (undated ones not counted); its filter is the period."""

    def __init__(self, facet: registry.Facet):
        self.facet = facet

    @staticmethod
    def _years(st, mask: np.ndarray) -> np.ndarray:
        if st.years is None:
            st.years = (st.dates // 10000).astype(np.int64)
        by_year = st.years[mask]
        return np.bincount(by_year) if len(by_year) else np.zeros(0, np.int64)

    def counts(self, engine, st, mask: np.ndarray) -> dict[str, int]:
        """{year: documents}, the latest year first."""
        years = self._years(st, mask)
        return {str(y): int(years[y]) for y in np.flatnonzero(years)[::-1] if y}

    def undated(self, st, mask: np.ndarray) -> int:
        """The undated documents of ``mask`` (what a period filter leaves out)."""
        years = self._years(st, mask)
        return int(years[0]) if len(years) else 0


KINDS = {registry.PLACE: TermFacet, registry.KEYWORDS: KeywordFacet, registry.YEAR: YearFacet}


@lru_cache(maxsize=None)
def kind_of(facet: registry.Facet):
    """The facet object of a registry entry."""
    return KINDS[facet.kind](facet)
