"""Facet counts over a query's documents: a facet is a small class that counts the values of
its field among any documents (a boolean mask), and the counting is disjunctive — each facet
counts the query's documents under the filters of every *other* facet, so a value's count is
what selecting that value alone in its facet gives (values of one facet are ORed; a year
replaces the period)."""
from __future__ import annotations

import numpy as np

from search.docsets import filter_docs
from search.filters import Filters


class PlaceFacet:
    """The index's own terms of a place field (``district`` / ``oblast``), most documents first."""

    def __init__(self, fieldname: str):
        self.field = fieldname

    def counts(self, gen, mask: np.ndarray) -> dict[str, int]:
        names, which, docs = gen.places[self.field]
        counts = np.bincount(which[mask[docs]], minlength=len(names))
        found = {names[b]: int(counts[b]) for b in np.flatnonzero(counts)}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


class YearFacet:
    """Documents per year, newest year first; ``undated`` how many have no date."""

    @staticmethod
    def bins(gen, mask: np.ndarray) -> np.ndarray:
        by_year = gen.years[mask]
        return np.bincount(by_year) if len(by_year) else np.zeros(0, np.int64)

    @staticmethod
    def counts(years: np.ndarray) -> dict[str, int]:
        found = {int(y): int(years[y]) for y in np.flatnonzero(years) if y}
        return {str(y): n for y, n in sorted(found.items(), reverse=True)}


DISTRICT, OBLAST, YEAR = PlaceFacet("district"), PlaceFacet("oblast"), YearFacet()


def facets(gen, matched: np.ndarray, filters: Filters) -> dict:
    """District, oblast and year counts of ``matched`` (the query's live documents, before any
    filter), disjunctive; ``_undated_excluded``: the undated documents a period filter leaves
    out (they would match without it)."""
    period = filter_docs(gen, Filters(filters.date_from, filters.date_to))
    districts = filter_docs(gen, Filters(districts=filters.districts))
    oblasts = filter_docs(gen, Filters(oblasts=filters.oblasts))

    def under(*masks):
        m = matched
        for x in masks:
            if x is not None:
                m = m & x
        return m

    years = YEAR.bins(gen, under(districts, oblasts))
    dated_filter = filters.date_from is not None or filters.date_to is not None
    return {
        "_undated_excluded": int(years[0]) if dated_filter and len(years) else 0,
        "district": DISTRICT.counts(gen, under(period, oblasts)),
        "oblast": OBLAST.counts(gen, under(period, districts)),
        "year": YEAR.counts(years),
    }
