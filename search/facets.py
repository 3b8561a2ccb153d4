"""Facets as objects, one class per kind of the field registry (``indexer/fields.py``): each
turns chosen values into a doc set (its filter) and counts its values over any doc set (a
boolean mask over the docnums of a generation, search/generation.py).

The counting is disjunctive: each facet counts the query's documents under the filters of
every *other* facet, so a value's count is what selecting that value alone in its facet gives
(values of one facet are ORed; a year replaces the period)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from indexer import fields as registry
from search.filters import Filters


class TermFacet:
    """A facet whose values are the index's own terms of one field (a place facet): no list
    outside the index, no limit on their number; the counts over any documents are one
    ``bincount`` of (value per posting) over the postings of those documents."""

    def __init__(self, facet: registry.Facet):
        self.facet = facet

    def terms(self, gen):
        """(values sorted, value index per posting, docnum per posting), per generation
        (``Generation.facet_terms``); an index built without the field has none."""
        return gen.facet_terms[self.facet.field]

    def chosen(self, names: list[str], values) -> list[int]:
        """The indexes (into ``names``) of the terms the chosen values stand for."""
        where = {name: i for i, name in enumerate(names)}
        return [where[v] for v in values if v in where]

    def matching(self, gen, values) -> np.ndarray:
        """The documents (deleted ones too: callers intersect with live) having any of ``values``;
        none when the index has no such term (or no such field)."""
        names = self.terms(gen)[0]
        mask = gen.mask()
        for i in self.chosen(names, values):
            mask[gen.reader.term(self.facet.field, names[i]).ids] = True     # the term's cached postings
        return mask

    def counts(self, gen, mask: np.ndarray) -> dict[str, int]:
        """{value: documents of ``mask`` (a boolean mask) having it}, most first, then by value."""
        names, which, docs = self.terms(gen)
        counts = np.bincount(which[mask[docs]], minlength=len(names))
        found = {names[b]: int(counts[b]) for b in np.flatnonzero(counts)}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


class KeywordFacet(TermFacet):
    """Values as the input spells them (JSON Lines ``topics``), letter case aside: spellings that
    differ only in case (``Politics`` in one file, ``politics`` in another) are one value, counted
    once (a document holds one spelling of a value: ``fields.clean_values``) and shown in the
    spelling most of its documents have; choosing a value chooses every spelling of it."""

    def chosen(self, names: list[str], values) -> list[int]:
        wanted = {value.casefold() for value in values}
        return [i for i, name in enumerate(names) if name.casefold() in wanted]

    def counts(self, gen, mask: np.ndarray) -> dict[str, int]:
        merged: dict[str, list] = {}
        for name, n in super().counts(gen, mask).items():     # most documents first, then by value
            entry = merged.setdefault(name.casefold(), [name, 0])
            entry[1] += n
        found = {name: n for name, n in merged.values()}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


class YearFacet:
    """Documents per year of their date (undated ones not counted); its filter is the period."""

    def __init__(self, facet: registry.Facet):
        self.facet = facet

    @staticmethod
    def _years(gen, mask: np.ndarray) -> np.ndarray:
        by_year = gen.years[mask]
        return np.bincount(by_year) if len(by_year) else np.zeros(0, np.int64)

    def counts(self, gen, mask: np.ndarray) -> dict[str, int]:
        """{year: documents}, the latest year first."""
        years = self._years(gen, mask)
        return {str(y): int(years[y]) for y in np.flatnonzero(years)[::-1] if y}

    def undated(self, gen, mask: np.ndarray) -> int:
        """The undated documents of ``mask`` (what a period filter leaves out)."""
        years = self._years(gen, mask)
        return int(years[0]) if len(years) else 0


KINDS = {registry.PLACE: TermFacet, registry.KEYWORDS: KeywordFacet, registry.YEAR: YearFacet}


@lru_cache(maxsize=None)
def kind_of(facet: registry.Facet):
    """The facet object of a registry entry."""
    return KINDS[facet.kind](facet)


def facets(gen, matched: np.ndarray, filters: Filters, filter_docs) -> dict:
    """The counts of every registry facet over ``matched`` (the query's live documents, before
    any filter), disjunctive; ``_undated_excluded``: the undated documents a period filter
    leaves out (they would match without it).  ``filter_docs(gen, filters)``: a filter's mask."""
    own = {f.name: filter_docs(gen, filters.only(f.name)) for f in registry.FACETS}
    out = {"_undated_excluded": 0}
    for facet in registry.FACETS:
        m = matched
        for name, mask in own.items():
            if name != facet.name and mask is not None:
                m = m & mask
        kind = kind_of(facet)
        out[facet.name] = kind.counts(gen, m)
        if facet.kind == registry.YEAR and (filters.date_from is not None or filters.date_to is not None):
            out["_undated_excluded"] = kind.undated(gen, m)
    return out
