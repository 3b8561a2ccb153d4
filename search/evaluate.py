"""A query under a set of filters, evaluated: its plan, document sets, facets and timeline —
what every page of it shares, cached per generation (``QUERY_CACHE``) so that paging costs
only the page.

Each top-level unit of the query is one doc set: ``total`` counts the documents in all of
them; partial matches (some soft units, every required one, no excluded one) follow.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from search.compile import compile_plan
from search.docsets import docs as node_docs
from search.docsets import filter_docs
from search.facets import facets
from search.filters import Filters
from search.plan import Plan
from search.query import ParsedQuery, parse, to_text
from search.timeline import timeline


@dataclass
class Evaluated:
    plan: Plan
    full: np.ndarray             # mask: every unit, filters applied
    partial: np.ndarray | None   # mask: some soft units only
    docs: np.ndarray             # docnums of ``full``
    partial_total: int
    notes: list
    facets: dict
    timeline: dict
    memo: dict = field(default_factory=dict)      # score arrays of the query's terms


def evaluate(gen, parsed: ParsedQuery, filters: Filters, expand: bool) -> Evaluated:
    key = (to_text(parsed.tree), parsed.blank, tuple(n["message"] for n in parsed.notes), filters, expand)
    got = gen.queries.get(key)
    if got is None:
        got = gen.queries.put(key, _evaluate(gen, parsed, filters, expand))
    return got


def corrected(gen, parsed: ParsedQuery, ev: Evaluated, filters: Filters, expand: bool,
              suggestion: str | None = None):
    """(the did-you-mean query, its evaluation) when ``parsed`` (evaluated: ``ev``) finds nothing
    at all and the correction finds something, else None: what the page lists instead, and the
    export too.  ``suggestion``: the did-you-mean already asked for (else it is asked now)."""
    if not expand or parsed.empty or len(ev.docs) or ev.partial_total:
        return None
    suggestion = suggestion or gen.expander.suggest(to_text(parsed.tree))
    if not suggestion:
        return None
    fixed = evaluate(gen, parse(suggestion), filters, expand)
    return (suggestion, fixed) if len(fixed.docs) else None


def is_cut(gen, parsed: ParsedQuery, expand: bool) -> bool:
    """Whether the cost bound cuts a prefix of the query (cheap: expansions are cached)."""
    if not any(a.kind == "prefix" for a in parsed.positive_atoms() + parsed.negative_atoms()):
        return False
    key = ("cut", to_text(parsed.tree))
    got = gen.prefixes.get(key)
    if got is None:
        notes = compile_plan(gen, parsed, expand).notes
        got = gen.prefixes.put(key, any(n["kind"] == "prefix_too_broad" for n in notes))
    return got


def _evaluate(gen, parsed: ParsedQuery, filters: Filters, expand: bool) -> Evaluated:
    plan = compile_plan(gen, parsed, expand)
    notes: list[dict] = list(parsed.notes) + plan.notes + _empty_fields(gen, parsed)
    allowed = filter_docs(gen, filters)
    partial = None
    if not plan.units:
        # an empty query browses everything; nothing searchable typed finds nothing
        full = gen.live.copy() if parsed.blank else gen.mask()
    else:
        full, partial = _units(gen, plan)
    unfiltered = full                     # the query's documents, for the facets
    if allowed is not None:
        full = full & allowed
        if partial is not None:
            partial &= allowed
    docs = np.flatnonzero(full)
    partial_total = int(np.count_nonzero(partial)) if partial is not None else 0
    if not len(docs) and partial_total:
        notes.append({"kind": "no_document_has_all_words",
                      "message": f"no document has all the words; {partial_total} have some of them"})
    return Evaluated(plan, full, partial, docs, partial_total, notes,
                     facets(gen, unfiltered, filters, filter_docs), timeline(gen, docs))


def _empty_fields(gen, parsed: ParsedQuery) -> list[dict]:
    """A note for each field the query names that no document of the index has a word in
    (``title:`` on an input without titles: it can find nothing, whatever the word)."""
    named = sorted({a.field for a in parsed.positive_atoms() if a.field})
    return [{"kind": "empty_field", "field": name,
             "message": f"no document of this index has a {name}, so {name}: finds nothing; "
                        "search without it"} for name in named if not gen.reader.field_words(name)]


def _units(gen, plan: Plan):
    """(every unit, some soft units only — None unless there are two or more) as masks."""
    full = gen.live.copy()
    soft, keep = [], gen.live.copy()  # keep: what a partial match must satisfy too
    for unit in plan.units:
        m = node_docs(gen, unit.node)
        if unit.kind == "not":
            m = ~m
        full &= m
        if unit.kind == "soft":
            soft.append(m)
        else:
            keep &= m
    if len(soft) <= 1:
        return full, None
    some = soft[0].copy()
    for m in soft[1:]:
        some |= m
    return full, some & keep & ~full
