"""Whoosh query trees as the engine reads them: the scored terms of a word query, the slots
of a phrase, and the gated matchers that let Whoosh rescore only known candidate documents.

(Reading postings themselves — Whoosh's blocks and the compact copies — is in
``indexer/sidecar.py``.)  Results are checked against plain Whoosh in
tests/test_engine_phrases.py and tests/test_engine_compact.py.
"""
from __future__ import annotations

import bisect

import numpy as np
from whoosh import query as Q
from whoosh.matching import IntersectionMatcher, Matcher, NullMatcher
from whoosh.util import make_binary_tree


def scored_terms(q, schema, boost: float = 1.0, out=None, gate=None):
    """[(gate, field, text, boost)] of a tree of Or / And / Term / Phrase / Sequence on scorable
    fields, else None; gate is the phrase a term belongs to (None for a plain term).  A
    ``ConstantScoreQuery`` (an expanded prefix) is one entry (the query, None, None, score):
    that score wherever it matches."""
    if out is None:
        out = []
    kind = type(q)
    if kind is Q.ConstantScoreQuery and gate is None:
        out.append((q, None, None, boost * q.score))
        return out
    if kind is Q.Term:
        if q.fieldname not in schema or not schema[q.fieldname].scorable or q.minquality:
            return None
        out.append((gate, q.fieldname, q.text, boost * q.boost))
        return out
    if gate is None and (kind is Q.Phrase or kind is Q.Sequence):
        slots = phrase_slots(q)
        if slots is None or slots[0] not in schema or not schema[slots[0]].scorable:
            return None
        if kind is Q.Phrase:
            out.extend((q, q.fieldname, w, boost * q.boost) for w in q.words)
            return out
        for sub in q.subqueries:
            if scored_terms(sub, schema, boost * q.boost, out, gate=q) is None:
                return None
        return out
    if (kind is Q.Or or kind is Q.And) and q.boost == 1.0 and not getattr(q, "scale", None) \
            and not getattr(q, "minmatch", 0):
        for sub in q.subqueries:
            if scored_terms(sub, schema, boost, out, gate) is None:
                return None
        return out
    return None


def phrase_slots(q):
    """(field, [[alternative words] per position]) of a Phrase or a Sequence of Terms / Ors of
    Terms in one field, with slop 1 (consecutive positions), else None."""
    if type(q) is Q.Phrase:
        if q.slop != 1 or not q.words:
            return None
        return q.fieldname, [[w] for w in q.words]
    if type(q) is Q.Sequence:
        if q.slop != 1 or not q.ordered or not q.subqueries:
            return None
        fieldname, slots = None, []
        for sub in q.subqueries:
            terms = [sub] if type(sub) is Q.Term else (
                sub.subqueries if type(sub) is Q.Or and sub.boost == 1.0 else None)
            if not terms or any(type(t) is not Q.Term for t in terms):
                return None
            for t in terms:
                if fieldname is None:
                    fieldname = t.fieldname
                if t.fieldname != fieldname:
                    return None
            slots.append([t.text for t in terms])
        return fieldname, slots
    return None


def gate_phrases(q, gates, offset, end):
    """``q`` with each Phrase / Sequence in ``gates`` replaced by a ``GatedPhrase`` over its
    segment-local matches in [offset, end)."""
    kind = type(q)
    if (kind is Q.Phrase or kind is Q.Sequence) and id(q) in gates:
        docs = gates[id(q)]              # ascending global docnums (a numpy array)
        lo, hi = np.searchsorted(docs, offset), np.searchsorted(docs, end)
        return GatedPhrase(q, (docs[lo:hi] - offset).tolist())
    if kind is Q.Or or kind is Q.And:
        new = q.__class__([gate_phrases(sub, gates, offset, end) for sub in q.subqueries], boost=q.boost)
        for attr in ("scale", "minmatch"):
            if hasattr(q, attr):
                setattr(new, attr, getattr(q, attr))
        return new
    return q


class GatedPhrase(Q.Query):
    """A phrase whose matching documents are known: the intersection of its words' matchers
    (the tree Whoosh's phrase matcher wraps, so the same score), stopping only at those."""

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
