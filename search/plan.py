"""The engine-neutral plan of a query: what to find and how to score it, in types of our own.

``search/compile.py`` turns a ``ParsedQuery`` (search/query.py) into a ``Plan``; doc sets
(search/docsets.py), BM25F (search/ranking.py) and the backend (search/backend/) read it.
No backend type appears here.

Nodes (frozen, so equal nodes are one cache key):

- ``Term(field, text, boost)`` — an index term of a field; its score counts ``boost`` times.
- ``Phrase(field, slots, boost)`` — consecutive positions, one word of each slot; a slot is the
  alternatives of one typed word as ((term, weight), …).  ``plain`` when every slot is one term
  of weight 1 (a Whoosh ``Phrase``), else a sequence of alternatives (a Whoosh ``Sequence``).
  A phrase match scores as the sum of its words' scores (weight × boost each).
- ``Prefix(field, terms, score)`` — any of ``terms`` (what a ``word*`` expanded to), constant
  score ``score`` where it matches.
- ``Or(children)``, ``And(children)``, ``Not(child)``, ``AndNot(positive, negative)``.
- ``Best(children, tie)`` — matches as ``Or``; scores its best child's score plus ``tie`` times
  the sum of the others' (Lucene's ``DisjunctionMaxQuery`` with a tie breaker).  The children are
  leaves (``Term``, ``Phrase``): the readings of one typed word in one field (its stem, exact
  form, prefix, keyboard variants, expansions), which are one piece of evidence, not several.

The order of children is the order of the additions when scores are summed: it is kept as
built, so that scores are bit-for-bit those of the backend's own matchers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.highlight import TermMatcher


@dataclass(frozen=True)
class Term:
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    field: str
    slots: tuple[tuple[tuple[str, float], ...], ...]
    boost: float = 1.0

    @property
    def plain(self) -> bool:
        return all(len(slot) == 1 and slot[0][1] == 1.0 for slot in self.slots)

    @property
    def words(self) -> list[list[str]]:
        """The terms of each slot."""
        return [[t for t, _ in slot] for slot in self.slots]


@dataclass(frozen=True)
class Prefix:
    field: str
    terms: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class Or:
    children: tuple


@dataclass(frozen=True)
class Best:
    children: tuple
    tie: float


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class AndNot:
    positive: object
    negative: object


def any_of(nodes: list):
    """One node for "any of ``nodes``": the node itself when alone."""
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


@dataclass(frozen=True)
class Unit:
    """A top-level unit of the query (search/query.py): ``soft`` (a document may miss it and
    still be a partial match), ``required`` (``+term``) or ``not`` (excluded)."""
    kind: str
    node: object


@dataclass(frozen=True)
class ProxWord:
    """A top-level word of the query for proximity (search/proximity.py): the index terms that
    find it, per field: ((field, (term, …)), …)."""
    by_field: tuple

    def terms(self, fieldname: str) -> tuple:
        return next((terms for f, terms in self.by_field if f == fieldname), ())


@dataclass
class Plan:
    units: list               # [Unit]
    scoring: object | None    # what scores: the wanted atoms' nodes (their sum), None when none
    matcher: TermMatcher      # what the snippets mark
    notes: list               # what the cost bound cut (``prefix_too_broad``)
    words: tuple = ()         # the top-level words, for proximity ([ProxWord], distinct)

    def wanted(self) -> list:
        return [u.node for u in self.units if u.kind != "not"]


def scoring_terms(node, out: list | None = None) -> list:
    """[(gate, field, text, boost)] of a scoring node: each term whose BM25F the score sums,
    ``gate`` the phrase it belongs to (it counts only where the phrase matches; None for a
    plain term).  A prefix is one entry (the prefix, None, None, its constant score)."""
    if out is None:
        out = []
    kind = type(node)
    if kind is Term:
        out.append((None, node.field, node.text, 1.0 * node.boost))
    elif kind is Phrase:
        if node.plain:
            out.extend((node, node.field, t, 1.0 * node.boost) for (t, _), in node.slots)
        else:
            out.extend((node, node.field, t, (1.0 * node.boost) * w) for slot in node.slots for t, w in slot)
    elif kind is Prefix:
        out.append((node, None, None, 1.0 * node.score))
    elif kind is Or or kind is And or kind is Best:
        for child in node.children:
            scoring_terms(child, out)
    else:
        raise TypeError(f"{kind.__name__} does not score")
    return out


def best_groups(node) -> tuple:
    """The ``Best`` nodes of a scoring node over its ``scoring_terms`` list: ((tie, (the
    entries of child 0, of child 1, …)), …), each child's entries as (start, stop) indices of
    that list; the entries outside every ``Best`` are summed as they are."""
    out = []

    def walk(n, at: int) -> int:
        kind = type(n)
        if kind is Best:
            spans = []
            for child in n.children:
                size = len(scoring_terms(child))
                spans.append((at, at + size))
                at += size
            out.append((n.tie, tuple(spans)))
            return at
        if kind is Or or kind is And:
            for child in n.children:
                at = walk(child, at)
            return at
        return at + len(scoring_terms(n))

    walk(node, 0)
    return tuple(out)


def best_of(parts, tie: float):
    """A ``Best`` node's score from its children's scores (floats or arrays, in child order):
    the largest plus ``tie`` times the rest, the rest summed one child after another."""
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    best = parts[0]
    for p in parts[1:]:
        best = np.maximum(best, p)
    return best + tie * (total - best)
