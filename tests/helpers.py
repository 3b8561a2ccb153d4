"""Helpers shared by tests (import them from here, not from conftest): the documented test
seam into the engine's plan, for the oracle tests that compare it with plain Whoosh.

``engine.plan(q)`` gives the engine-neutral plan; ``whoosh(node)`` is the Whoosh query the
backend makes of a node; ``docs`` / ``top`` are what the engine computes for it.
"""
from __future__ import annotations

import numpy as np

from search import docsets, ranking
from search.backend.whoosh_query import to_whoosh
from search.plan import And, Or, Phrase, any_of


def wanted(engine, q: str):
    """(all units, any unit) of a query's wanted units as plan nodes — the And and the Or of
    its clauses for a query of words, phrases and ORs of them; all is None for one unit."""
    nodes = engine.plan(q).wanted()
    if not nodes:
        return None, None
    return (And(tuple(nodes)) if len(nodes) > 1 else None), any_of(nodes)


def whoosh(node):
    return to_whoosh(node)


def searcher(engine):
    """The Whoosh searcher of the engine's current generation."""
    return engine.state().reader.searcher


def docs(engine, node) -> np.ndarray:
    """The engine's doc set (a mask) of a plan node, computed afresh (not from the cache)."""
    gen = engine.state()
    gen.docsets.pop(node)
    return docsets.docs(gen, node)


def top(engine, node, mask, limit: int):
    return ranking.top(engine.state(), node, mask, limit)


ids = docsets.ids


def phrase_nodes(node, out=None) -> list:
    out = [] if out is None else out
    if type(node) is Phrase:
        out.append(node)
    for child in getattr(node, "children", ()):
        phrase_nodes(child, out)
    return out


__all__ = ["wanted", "whoosh", "searcher", "docs", "top", "ids", "phrase_nodes", "Or"]
