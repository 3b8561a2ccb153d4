"""The Whoosh backend: an open generation of the index ``indexer/`` writes, offering what the
engine needs as plain data and numpy arrays (see search/backend/__init__.py).

Threads share one open generation.  Whoosh's readers seek and read a shared file position, so
every call into Whoosh holds ``wlock`` (briefly: one term, one stored document, one rescoring).
"""
from __future__ import annotations

import threading
from collections import defaultdict

import numpy as np
from whoosh import index as whoosh_index
from whoosh.scoring import BM25F

from indexer import marked
from indexer.analysis import EXACT_MARK, is_marked
from indexer.sidecar import SegmentPostings, positional_fields
from search.backend.whoosh_query import best_nodes, exact_scores, without_best, without_marked
from search.backend.whoosh_terms import Segment, TermArrays
from search.plan import best_of, scoring_terms
from search.query import FIELDS


class WhooshBackend:
    """Opens generations; ``compact=False`` reads every term from Whoosh (for comparisons)."""

    def __init__(self, compact: bool = True):
        self.compact = compact

    def open(self, path, name: str) -> "WhooshGeneration":
        ix = whoosh_index.open_dir(str(path))
        return WhooshGeneration(name, path, ix, ix.searcher(weighting=BM25F()), self.compact)


class WhooshGeneration:
    def __init__(self, name: str, path, ix, searcher, compact: bool):
        self.name, self.path, self.index, self.searcher, self.compact = name, path, ix, searcher, compact
        self.wlock = threading.Lock()
        reader = searcher.reader()
        self.n = reader.doc_count_all()               # document numbers run 0 … n-1
        self.live = np.ones(self.n, bool)             # not deleted
        self.segments = self._segments(reader)
        self.dates = np.fromiter(reader.column_reader("date"), np.int64, self.n)   # yyyymmdd, 0 = undated
        self.terms = TermArrays(searcher, self.segments, self.wlock)
        self.term, self.positions = self.terms.term, self.terms.positions
        self.positions_in = self.terms.positions_in

    def _segments(self, reader) -> list[Segment]:
        fields = positional_fields(self.searcher.schema)
        marked_fields = marked.fields(self.searcher.schema)
        segments = []
        leaves = reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]
        for leaf, offset in leaves:
            if leaf.has_deletions():
                self.live[[offset + d for d in leaf.deleted_docs_set]] = False
            compact, marks = {}, {}
            if hasattr(leaf, "segment"):
                sid = leaf.segment().segment_id()
                for f in fields if self.compact else ():
                    sp = SegmentPostings.open(self.path, sid, f, leaf.doc_count_all(), reader=leaf)
                    if sp is not None:
                        compact[f] = sp
                for f in marked_fields:
                    mp = marked.MarkedPostings.open(self.path, sid, f, leaf.doc_count_all())
                    if mp is not None:
                        marks[f] = mp
            segments.append(Segment(offset, leaf.doc_count_all(), leaf, compact, marks))
        return segments

    # -- the generation's life ------------------------------------------------------
    def up_to_date(self) -> bool:
        return self.searcher.up_to_date()

    def refreshed(self) -> "WhooshGeneration":
        """The same generation with the documents added since (the unchanged segments'
        readers are reused: this one must not be closed)."""
        with self.wlock:
            searcher = self.searcher.refresh()
        return WhooshGeneration(self.name, self.path, self.index, searcher, self.compact)

    def close(self) -> None:
        self.searcher.close()

    @property
    def compact_postings(self) -> int:
        """Postings served from compact files so far (for tests and benchmarks)."""
        return self.terms.compact_postings

    # -- documents ---------------------------------------------------------------------
    def doc_count(self) -> int:
        return self.searcher.doc_count()

    def stored(self, docnums) -> list[dict]:
        with self.wlock:
            return [self.searcher.stored_fields(int(d)) for d in docnums]

    def document(self, doc_id: str) -> dict | None:
        with self.wlock:
            return self.searcher.document(id=doc_id)

    def export_reader(self, first: int | None) -> "StoredReader":
        return StoredReader(self, first)

    # -- the lexicon -------------------------------------------------------------------
    def has_field(self, fieldname: str) -> bool:
        """Whether the index has the field (an index built before a field was added has not)."""
        return fieldname in self.searcher.schema

    def field_terms(self, fieldname: str) -> list[str]:
        """The index terms of a field, sorted (none when the schema has no such field): Whoosh's
        and, for a text field, the marked terms of its marked postings."""
        if fieldname not in self.searcher.schema:
            return []
        with self.wlock:
            terms = set(self.searcher.reader().field_terms(fieldname))
        for seg in self.segments:
            store = seg.marked.get(fieldname)
            if store is not None:
                terms.update(store.term_list)
        return sorted(terms)

    def word_forms(self, fieldname: str) -> list[str]:
        """The word forms a text field holds (its exact-form marked terms without the mark),
        sorted: read from the marked postings' term lists, not the whole lexicon."""
        forms: set[str] = set()
        for seg in self.segments:
            store = seg.marked.get(fieldname)
            if store is not None:
                forms.update(t[1:] for t in store.term_list if t.startswith(EXACT_MARK))
        return sorted(forms)

    def prefix_terms(self, fieldname: str, prefix: str) -> list[tuple[int, str]]:
        """[(document frequency, term)] of the terms of a field starting with ``prefix``."""
        with self.wlock:
            return [(ti.doc_frequency(), t.decode("utf-8") if isinstance(t, bytes) else t)
                    for t, ti in self.searcher.reader().iter_prefix(fieldname, prefix)]

    def field_words(self, fieldname: str) -> int:
        """How many words the field holds over all documents (0: no document has one)."""
        with self.wlock:
            return int(self.searcher.reader().field_length(fieldname) or 0)

    def doc_frequency(self, term: str) -> int:
        """The most documents a text field has ``term`` in."""
        reader = self.searcher.reader()
        with self.wlock:
            return max(reader.doc_frequency(f, term) for f in reversed(FIELDS))

    def text_terms(self):
        """(term, the most documents a text field has it in) of every word of the text fields
        (Whoosh's terms: the stems; the marked terms are not words)."""
        df: dict = {}
        with self.wlock:   # per segment: a multi-segment reader's iter_field is ~5x slower
            for fieldname in FIELDS:
                per_field: dict = defaultdict(int)
                for seg in self.segments:
                    for text, info in seg.reader.iter_field(fieldname):
                        per_field[text] += info.doc_frequency()
                for text, n in per_field.items():
                    df[text] = max(df.get(text, 0), n)
        return ((t.decode("utf-8") if isinstance(t, bytes) else t, n) for t, n in df.items())

    def marked_coverage(self) -> tuple[int, int]:
        """(segments with valid marked postings for every text field, segments): a segment
        without them ranks by its stems alone (indexer/marked.py)."""
        fields = marked.fields(self.searcher.schema)
        return sum(all(f in seg.marked for f in fields) for seg in self.segments), len(self.segments)

    # -- scores ------------------------------------------------------------------------
    def exact_scores(self, node, candidates: list[int], gates: dict) -> dict[int, float]:
        """The score of a scoring plan node for each candidate, summed in a fixed order
        (search/ranking.py): Whoosh's own matchers' for its terms, then each marked term's
        contribution (boost × BM25F, in the node's order), which Whoosh does not hold; then each
        ``Best`` node (search/plan.py) from its children's scores, in the node's order."""
        bests = best_nodes(node)
        if bests:
            rest = without_best(node)
            out = self.exact_scores(rest, candidates, gates) if rest is not None else {}
            for best in bests:
                parts = [self.exact_scores(child, candidates, gates) for child in best.children]
                for d in sorted(set().union(*parts)):
                    value = float(best_of([p.get(d, 0.0) for p in parts], best.tie))
                    out[d] = out[d] + value if d in out else value
            return out
        rest = without_marked(node)
        with self.wlock:
            out = exact_scores(self.searcher, rest, candidates, gates) if rest is not None else {}
        extra = [(f, t, b) for gate, f, t, b in scoring_terms(node) if gate is None and f and is_marked(t)]
        if not extra:
            return out
        cands = sorted(set(candidates))
        docs = np.asarray(cands, np.int64)
        score = np.array([out.get(d, 0.0) for d in cands])
        matched = np.array([d in out for d in cands], bool)
        for f, t, b in extra:                   # one addition per term, in the node's order
            p = self.term(f, t)
            hit, at = p.lookup(docs)
            if hit.any():
                score[hit] = score[hit] + p.contrib[at[hit]] * b
                matched |= hit
        return {d: v for d, v, m in zip(cands, score.tolist(), matched.tolist()) if m}


class StoredReader:
    """Stored fields for an export: per-document readers of its own over the generation's
    segments (Whoosh's, light: no term index), so reading needs no lock; else the shared
    searcher under its lock.  ``first``: a docnum to read now, so its files are open."""

    def __init__(self, generation: WhooshGeneration, first: int | None):
        self.generation = generation
        self.schema = generation.searcher.schema
        self.own = None
        try:
            self.own = [(seg.offset, seg.reader._codec.per_document_reader(seg.reader._storage,
                                                                          seg.reader.segment()))
                        for seg in generation.segments]
            if first is not None:
                self._stored(first)
        except Exception:                               # noqa: BLE001 — the shared one will do
            self.own = None

    def read(self, docnums) -> list[dict]:
        if self.own is None:
            return self.generation.stored(docnums)
        return [self._stored(int(d)) for d in docnums]

    def _stored(self, docnum: int) -> dict:
        """As ``SegmentReader.stored_fields`` gives them (fields no longer in the schema left out)."""
        for offset, perdoc in reversed(self.own):
            if docnum >= offset:
                return {k: v for k, v in perdoc.stored_fields(docnum - offset).items() if k in self.schema}
        raise IndexError(docnum)

    def close(self) -> None:
        for _, perdoc in self.own or ():
            perdoc.close()
