"""Plan nodes (search/plan.py) as Whoosh queries — used only to let Whoosh's own matchers
rescore the few candidates whose summed scores nearly tie (search/ranking.py), and by the
tests that compare the engine with plain Whoosh.

A phrase whose matching documents are known already is rescored as a ``GatedPhrase``: the
intersection of its words' matchers (the tree Whoosh's phrase matcher wraps, so the same
score), stopping only at those documents, without Whoosh's position checks.
"""
from __future__ import annotations

import bisect

import numpy as np
from whoosh import query as Q
from whoosh.matching import IntersectionMatcher, Matcher, NullMatcher
from whoosh.query import ConstantScoreQuery
from whoosh.util import make_binary_tree

from indexer.analysis import is_marked
from search.plan import And, AndNot, Best, Not, Or, Phrase, Prefix, Term


def without_marked(node):
    """A scoring node without its marked terms (a word's exact form and prefix, which Whoosh does
    not hold: indexer/marked.py); None when nothing is left."""
    return _without(node, lambda n: type(n) is Term and is_marked(n.text))


def without_best(node):
    """A scoring node without its ``Best`` nodes (scored apart: Whoosh has no such sum); None
    when nothing is left."""
    return _without(node, lambda n: type(n) is Best)


def _without(node, drop):
    """``node`` with every node ``drop`` picks taken out of its ``Or``/``And``/``Best`` nodes
    (one child left of an ``Or`` or ``Best``: that child); None when nothing is left."""
    if drop(node):
        return None
    kind = type(node)
    if kind is Or or kind is And or kind is Best:
        kept = tuple(c for c in (_without(c, drop) for c in node.children) if c is not None)
        if not kept:
            return None
        if len(kept) == 1 and kind is not And:
            return kept[0]
        return Best(kept, node.tie) if kind is Best else kind(kept)
    return node


def best_nodes(node, out: list | None = None) -> list:
    """The ``Best`` nodes of a scoring node, in its order (search/plan.py ``best_groups``)."""
    out = [] if out is None else out
    kind = type(node)
    if kind is Best:
        out.append(node)
    elif kind is Or or kind is And:
        for child in node.children:
            best_nodes(child, out)
    return out


def to_whoosh(node, gates: dict | None = None, offset: int = 0, end: int = 0):
    """The Whoosh query of a plan node; with ``gates`` ({phrase node: ascending global docnums
    it matches}), each of those phrases as a ``GatedPhrase`` over its matches in [offset, end)."""
    kind = type(node)
    if kind is Term:
        return Q.Term(node.field, node.text, boost=node.boost)
    if kind is Phrase:
        if node.plain:
            q = Q.Phrase(node.field, [t for (t, _), in node.slots], boost=node.boost)
        else:
            q = Q.Sequence([Q.Or([Q.Term(node.field, t, boost=w) for t, w in slot]) for slot in node.slots],
                           boost=node.boost)
        if gates is not None and node in gates:
            docs = gates[node]
            lo, hi = np.searchsorted(docs, offset), np.searchsorted(docs, end)
            return GatedPhrase(q, (docs[lo:hi] - offset).tolist())
        return q
    if kind is Prefix:
        return ConstantScoreQuery(Q.Or([Q.Term(node.field, t) for t in node.terms]), score=node.score)
    if kind is Or or kind is Best:      # a Best matches as an Or (it scores apart: exact_scores)
        return Q.Or([to_whoosh(c, gates, offset, end) for c in node.children])
    if kind is And:
        return Q.And([to_whoosh(c, gates, offset, end) for c in node.children])
    if kind is Not:
        return Q.Not(to_whoosh(node.child, gates, offset, end))
    if kind is AndNot:
        return Q.AndNot(to_whoosh(node.positive, gates, offset, end), to_whoosh(node.negative, gates, offset, end))
    raise TypeError(f"not a plan node: {node!r}")


def exact_scores(searcher, node, candidates: list[int], gates: dict) -> dict[int, float]:
    """Whoosh's score of ``node`` for each candidate docnum (its matcher skips to each), per
    segment; phrases as ``GatedPhrase`` over ``gates``."""
    context = searcher.context()
    out: dict[int, float] = {}
    cands = sorted(candidates)
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in cands if offset <= d < end]
        if not local:
            continue
        m = to_whoosh(node, gates, offset, end).matcher(sub, context)
        for d in local:
            if not m.is_active():
                break
            if m.id() < d:
                m.skip_to(d)
                if not m.is_active():
                    break
            if m.id() == d:
                out[d + offset] = m.score()
    return out


class GatedPhrase(Q.Query):
    """A phrase whose matching (segment-local) documents are known."""

    def __init__(self, phrase, local_docs):
        self.phrase = phrase
        self.docs = local_docs
        self.boost = phrase.boost

    def estimate_size(self, ixreader):
        return self.phrase.estimate_size(ixreader)

    def estimate_min_size(self, ixreader):
        return self.phrase.estimate_min_size(ixreader)

    def matcher(self, searcher, context=None):
        if not self.docs:
            return NullMatcher()
        q = self.phrase
        if type(q) is Q.Phrase:
            ms = [Q.Term(q.fieldname, w).matcher(searcher, context) for w in q.words]
        else:
            context = (context or searcher.context()).set(needs_current=True)
            ms = [sub.matcher(searcher, context) for sub in q.subqueries]
        return GatedMatcher(make_binary_tree(IntersectionMatcher, ms), self.docs, self.boost)


class GatedMatcher(Matcher):
    def __init__(self, child, docs, boost):
        self.child = child
        self.docs = docs
        self.boost = boost
        self._active = True
        self._find()

    def _find(self):
        child, docs = self.child, self.docs
        while child.is_active():
            d = child.id()
            i = bisect.bisect_left(docs, d)
            if i == len(docs):
                break
            if docs[i] == d:
                return
            child.skip_to(docs[i])
        self._active = False

    def is_active(self):
        return self._active and self.child.is_active()

    def id(self):
        return self.child.id()

    def next(self):
        self.child.next()
        self._find()

    def skip_to(self, id):
        if self.is_active() and self.child.id() < id:
            self.child.skip_to(id)
            self._find()

    def score(self):
        return self.child.score() * self.boost

    def weight(self):
        return self.child.weight()

    def supports_block_quality(self):
        return False

    def replace(self, minquality=0):
        return self if self.is_active() else NullMatcher()

    def copy(self):
        m = GatedMatcher.__new__(GatedMatcher)
        m.child, m.docs, m.boost, m._active = self.child.copy(), self.docs, self.boost, self._active
        return m

    def children(self):
        return [self.child]
