"""A term's postings as arrays over the whole index: global docnums, BM25F contributions and,
for phrases, position keys — sliced from the compact postings (``indexer/sidecar.py``,
memory-mapped) where a segment has the term there, else decoded from Whoosh's blocks.  A marked
term (a word's exact form or prefix, ``=…`` / ``^…``) is read from the marked postings
(``indexer/marked.py``) and scored with Whoosh's BM25F formula and statistics, its document
frequency counted there."""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from indexer.analysis import is_marked
from indexer.sidecar import read_term
from kgsearch.settings import current as settings
from search.cache import LRU

# postings of decoded terms kept per generation (~16 B each), from the settings
TERM_CACHE_POSTINGS = settings().term_cache_postings


@dataclass
class Segment:
    offset: int
    doc_count: int
    reader: object
    compact: dict            # field → SegmentPostings (missing: read from Whoosh)
    marked: dict             # field → MarkedPostings (missing: the segment has no marked terms)


@dataclass
class Postings:
    """One term of one field over the whole index: global docnums (ascending), BM25F
    contributions (None for unscored fields) and, once a phrase needed them, position keys
    (docnum << 32 | position, ascending)."""
    ids: np.ndarray
    contrib: np.ndarray | None
    keys: np.ndarray | None = None

    def weight(self) -> int:
        return len(self.ids) + 1 + (len(self.keys) if self.keys is not None else 0)

    def lookup(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of ``docs`` — global docnums — have the term, the index of each one's posting
        where it does: ``contrib[index[hit]]``)."""
        if not len(self.ids):
            return np.zeros(len(docs), bool), np.zeros(len(docs), np.int64)
        index = np.minimum(np.searchsorted(self.ids, docs), len(self.ids) - 1)
        return self.ids[index] == docs, index


class TermArrays:
    """The terms of one open generation, cached (``TERM_CACHE_POSTINGS``, weighed in postings).
    Every call into Whoosh holds ``wlock`` (its readers seek a shared file position)."""

    def __init__(self, searcher, segments: list[Segment], wlock: threading.Lock):
        self.searcher = searcher
        self.segments = segments
        self.wlock = wlock
        self.cache = LRU(TERM_CACHE_POSTINGS, weigh=Postings.weight)
        self.compact_postings = 0         # postings served from compact files
        self._norms: dict = {}
        self._keys_lock = threading.Lock()

    def term(self, fieldname: str, text: str) -> Postings:
        """Every document (deleted ones too) with ``text`` in ``fieldname``, and the BM25F
        contribution idf·(K1+1)·tf / (tf + K1·(1-B+B·len/avglen)) Whoosh's scorer gives each
        document for the term (before the query's boost)."""
        key = (fieldname, text)
        entry = self.cache.get(key)
        if entry is not None:
            return entry
        ids_parts, tf_parts = [], []
        for seg in self.segments:
            got = self._segment_postings(seg, fieldname, text)
            if got is None:
                continue
            ids, tf = got
            ids_parts.append(ids + np.int32(seg.offset) if seg.offset else np.array(ids, np.int32))
            tf_parts.append(tf)
        ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int32)
        tf = np.concatenate(tf_parts).astype(np.float64) if tf_parts else np.zeros(0)
        return self.cache.put(key, Postings(ids, self._contrib(fieldname, text, ids, tf)))

    def _segment_postings(self, seg: Segment, fieldname: str, text: str):
        """(segment-local ids, tf) of a term in one segment, or None: a marked term from the marked
        postings, any other from the compact postings, else from Whoosh's blocks."""
        if is_marked(text):
            store = seg.marked.get(fieldname)
            return store.postings(text) if store is not None else None
        compact = seg.compact.get(fieldname)
        got = compact.postings(text) if compact is not None else None
        if got is not None:
            self.compact_postings += len(got[0])
            return got
        with self.wlock:
            if (fieldname, text) not in seg.reader:
                return None
            ids, tf, _ = read_term(seg.reader, fieldname, text, positions=False)
        return ids, tf

    def _contrib(self, fieldname: str, text: str, ids: np.ndarray, tf: np.ndarray):
        searcher = self.searcher
        if not len(ids) or fieldname not in searcher.schema or not searcher.schema[fieldname].scorable:
            return None
        with self.wlock:
            if is_marked(text):
                idf, B, K1, avgfl = self._marked_params(fieldname, len(ids))
            else:
                scorer = searcher.weighting.scorer(searcher, fieldname, text)
                idf, B, K1, avgfl = scorer.idf, scorer.B, scorer.K1, scorer.avgfl
        norm = self._length_norm(fieldname, B, K1, avgfl)
        # Whoosh's bm25(): idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))),
        # the same double-precision operations in the same order (norm = K1 * (…))
        return idf * ((tf * (K1 + 1)) / (tf + norm[ids]))

    def _marked_params(self, fieldname: str, df: int) -> tuple[float, float, float, float]:
        """(idf, B, K1, avgfl) of a marked term as Whoosh's ``BM25F.scorer`` would set them up
        for a term of ``df`` documents (Whoosh's idf: log(N / (df + 1)) + 1)."""
        searcher, weighting = self.searcher, self.searcher.weighting
        B = getattr(weighting, "_field_B", {}).get(fieldname, weighting.B)
        idf = math.log(searcher.doc_count_all() / (df + 1)) + 1
        return idf, B, weighting.K1, searcher.avg_field_length(fieldname) or 1

    def positions(self, fieldname: str, text: str) -> np.ndarray:
        """Position keys (docnum << 32 | position, ascending) of a term of a phrase field (none
        for a marked term: those have no positions)."""
        if is_marked(text):
            return np.zeros(0, np.int64)
        entry = self.term(fieldname, text)
        if entry.keys is not None:
            return entry.keys
        parts = []
        for seg in self.segments:
            got = self._segment_positions(seg, fieldname, text)
            if got is None:
                continue
            ids, tf, pos = got
            docs = np.repeat(ids.astype(np.int64) + seg.offset, tf.astype(np.int64))
            parts.append((docs << 32) | pos.astype(np.int64))
        keys = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        with self._keys_lock:
            if entry.keys is not None:        # another thread got there first
                return entry.keys
            entry.keys = keys
        self.cache.grow((fieldname, text), entry, len(keys))    # counted while it is cached
        return keys

    def _segment_positions(self, seg: Segment, fieldname: str, text: str):
        """(local ids, tf, positions document by document) of a term in one segment — from its
        compact postings, else from Whoosh — or None when the segment lacks the term."""
        compact = seg.compact.get(fieldname)
        pos = compact.positions(text) if compact is not None else None
        if pos is not None:
            ids, tf = compact.postings(text)
            return ids, tf, pos
        with self.wlock:
            if (fieldname, text) not in seg.reader:
                return None
            return read_term(seg.reader, fieldname, text, positions=True)

    def positions_in(self, fieldname: str, text: str, docs: np.ndarray) -> np.ndarray:
        """The position keys of a term in ``docs`` (ascending global docnums) only — what the
        proximity of a few candidates reads — from the term's cached keys when a phrase built
        them, else from each segment's postings of just those documents (building the keys
        of a frequent term over the whole index would cost more than the rest of the page)."""
        empty = np.zeros(0, np.int64)
        if is_marked(text) or not len(docs):
            return empty
        entry = self.term(fieldname, text)
        if entry.keys is not None:
            owner = entry.keys >> 32
            lo, hi = np.searchsorted(owner, docs, "left"), np.searchsorted(owner, docs, "right")
            parts = [entry.keys[a:b] for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
            return np.concatenate(parts) if parts else empty
        hit, _ = entry.lookup(docs)
        docs = docs[hit]                          # the candidates that have the term at all
        parts = []
        for seg in self.segments:
            local = docs[(docs >= seg.offset) & (docs < seg.offset + seg.doc_count)] - seg.offset
            if not len(local):
                continue
            got = self._segment_positions(seg, fieldname, text)
            if got is None:
                continue
            ids, tf, pos = got
            ends = np.cumsum(tf.astype(np.int64))
            at = np.searchsorted(ids, local)
            for i in at[(at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == local)].tolist():
                start = int(ends[i - 1]) if i else 0
                parts.append(((int(ids[i]) + seg.offset) << 32) | pos[start:int(ends[i])].astype(np.int64))
        return np.concatenate(parts) if parts else empty

    def _length_norm(self, fieldname, B, K1, avgfl) -> np.ndarray:
        key = (fieldname, B, K1, avgfl)
        norm = self._norms.get(key)
        if norm is None:
            parts = []
            with self.wlock:
                for seg in self.segments:
                    dfl = seg.reader.doc_field_length
                    parts.extend(K1 * ((1 - B) + B * (dfl(d, fieldname, 1) or 0) / avgfl)
                                 for d in range(seg.doc_count))
            norm = self._norms[key] = np.asarray(parts, np.float64)
        return norm
