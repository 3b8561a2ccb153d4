"""Compact postings: a flat, memory-mapped copy of each segment's frequent postings.

Whoosh keeps postings in blocks of ~128 documents, each block a zlib-compressed pickle of
(ids, weights, values), and a phrase field's value is one more pickle per document (its
positions).  Reading a term that 20,000 documents contain means ~160 decompressions and
pickles plus 20,000 small ones for positions: the largest cost of a query at 100k documents.

After every commit (``kgsearch reindex``, ``add``, ``delete``, ``optimize``) and before the
new generation is published, ``write_missing`` writes for every segment without one (in the same
pass, one segment a process, as the marked postings: indexer/marked.py), and for the positional
fields (title, body), the postings of each term that at least ``MIN_DF`` documents of the segment
contain, as numpy arrays next to the segment::

    kgp-<segment>.<field>.json         version, segment, doc count, the terms in order
    kgp-<segment>.<field>.starts.npy   int64[T+1]  term t's postings are [starts[t], starts[t+1])
    kgp-<segment>.<field>.ids.npy      int32[P]    segment-local document numbers, ascending per term
    kgp-<segment>.<field>.tf.npy       float32[P]  Whoosh's weight (term frequency)
    kgp-<segment>.<field>.pstarts.npy  int64[T+1]  term t's positions are [pstarts[t], pstarts[t+1])
    kgp-<segment>.<field>.pos.npy      uint32[Q]   positions, document by document (tf of them each)

The query side (``search/backend/whoosh_terms.py``) maps them read-only (shared between worker processes
through the page cache) and slices a term's arrays instead of decoding Whoosh's blocks; terms
below ``MIN_DF`` and segments without these files are read from Whoosh as before.  They hold
nothing that is not in the Whoosh segment (deleted documents stay Whoosh's business), so they
are derived data: a copy-on-write generation hard-links them like the segment files, and a
generation without them (or with files that do not check out) is served, only slower.
"""
from __future__ import annotations

import json
import os
import pickle
from itertools import accumulate, chain
from pathlib import Path

import numpy as np

try:  # block-wise reading of postings (whoosh-reloaded 2.7's codec); a generic path otherwise
    from whoosh.codec.whoosh3 import W3LeafMatcher
except ImportError:  # pragma: no cover
    W3LeafMatcher = None

from whoosh.formats import _INT_SIZE, Positions

from indexer import marked, segfiles
from indexer.fields import TEXT_FIELD_NAMES

VERSION = 1
PREFIX = "kgp-"
FIELDS = TEXT_FIELD_NAMES           # the text fields of the registry (indexer/fields.py)
MIN_DF = 8
KINDS = ("starts", "ids", "tf", "pstarts", "pos")


def file_name(segment_id: str, fieldname: str, kind: str) -> str:
    return segfiles.file_name(segment_id, fieldname, kind, PREFIX)


# -- reading Whoosh's blocks --------------------------------------------------------------

def postings_blocks(matcher, weights: bool = True, values: bool = False):
    """(ids, weights or None, raw values or None) of one term's postings, a block at a time
    (segment-local ids).

    Reads the whoosh3 block data directly (ids delta-decoded with ``itertools.accumulate``
    rather than Whoosh's per-posting generator); any other matcher goes the generic way."""
    if W3LeafMatcher is None or type(matcher) is not W3LeafMatcher:
        ids, ws, vs = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            if weights:
                ws.append(matcher.weight())
            if values:
                vs.append(matcher.value())
            matcher.next()
        yield ids, (ws if weights else None), (vs if values else None)
        return
    while matcher.is_active():
        if matcher._ids is None:
            if matcher._data is None:
                matcher._read_data()
            raw = matcher._data[0]
            matcher._ids = raw if matcher._byteids else tuple(accumulate(raw))
        if weights and matcher._weights is None:
            matcher._read_weights()
        if values and matcher._values is None:
            matcher._read_values()
        i = matcher._i
        ids = matcher._ids[i:] if i else matcher._ids
        ws = (matcher._weights[i:] if i else matcher._weights) if weights else None
        vs = (matcher._values[i:] if i else matcher._values) if values else None
        yield ids, ws, vs
        matcher._next_block()


def decode_positions_many(values) -> tuple[np.ndarray, np.ndarray]:
    """(positions uint32 concatenated, count per value int64) of Whoosh ``Positions`` values.

    Each value is a 4-byte count and the pickled list of position deltas; the lists are
    joined into one pickle of a list of lists and loaded at once (one ``pickle.loads``
    instead of one per document), then the deltas are summed per document in numpy."""
    if not values:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    bodies = []
    for v in values:
        body = v[_INT_SIZE:]
        bodies.append(body[:-1] if body[-1:] == b"." else body)
    lists = pickle.loads(b"\x80\x02(" + b"".join(bodies) + b"l.")
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    deltas = np.fromiter(chain.from_iterable(lists), np.int64, int(counts.sum()))
    pos = np.cumsum(deltas)
    if len(lists) > 1 and len(pos):
        # restart the running sum at each document: take away the total of the ones before
        starts = np.cumsum(counts) - counts
        base = np.where(starts > 0, pos[np.maximum(starts - 1, 0)], 0)
        pos -= np.repeat(base, counts)
    return pos.astype(np.uint32, copy=False), counts


def read_term(reader, fieldname: str, text: str, positions: bool):
    """(ids int32, tf float32, positions uint32 or None) of one term in one segment reader."""
    ids, tfs, vals = [], [], []
    for block_ids, weights, values in postings_blocks(reader.postings(fieldname, text), True, positions):
        ids.append(block_ids)
        tfs.append(weights)
        if positions:
            vals.extend(values)
    ids = np.fromiter(chain.from_iterable(ids), np.int32)
    tf = np.fromiter(chain.from_iterable(tfs), np.float32, len(ids))
    pos = decode_positions_many(vals)[0] if positions else None
    return ids, tf, pos


# -- writing ------------------------------------------------------------------------------

def positional_fields(schema) -> list[str]:
    """The fields with compact postings: positional, and without a field boost, so that a
    posting's weight is its number of positions (how ``pos`` is cut per document)."""
    return [f for f in FIELDS if f in schema and type(schema[f].format) is Positions
            and schema[f].format.field_boost == 1.0]


def write_segment(dirpath: Path, reader, segment_id: str) -> int:
    """Write the compact postings of one segment reader; returns the number of postings."""
    dirpath = Path(dirpath)
    total = 0
    for fieldname in positional_fields(reader.schema):
        terms: list[str] = []
        starts, pstarts = [0], [0]
        ids_parts, tf_parts, pos_parts = [], [], []
        n_post = n_pos = 0
        field = reader.schema[fieldname]
        for btext, info in reader.iter_field(fieldname):
            if info.doc_frequency() < MIN_DF:
                continue
            text = field.from_bytes(btext) if isinstance(btext, bytes) else btext
            ids, tf, pos = read_term(reader, fieldname, text, True)
            terms.append(text)
            ids_parts.append(ids)
            tf_parts.append(tf)
            pos_parts.append(pos)
            n_post += len(ids)
            n_pos += len(pos)
            starts.append(n_post)
            pstarts.append(n_pos)
        arrays = {
            "starts": np.asarray(starts, np.int64),
            "ids": np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int32),
            "tf": np.concatenate(tf_parts) if tf_parts else np.zeros(0, np.float32),
            "pstarts": np.asarray(pstarts, np.int64),
            "pos": np.concatenate(pos_parts) if pos_parts else np.zeros(0, np.uint32),
        }
        meta = {"version": VERSION, "segment": segment_id, "field": fieldname,
                "doc_count": reader.doc_count_all(), "min_df": MIN_DF,
                "postings": n_post, "positions": n_pos, "terms_sha256": terms_digest(terms),
                "terms": terms}
        segfiles.save_arrays(dirpath, PREFIX, segment_id, fieldname, arrays, meta)
        total += n_post
    return total


def _segments(ix):
    """(segment id, segment reader) of every segment of an open index."""
    reader = ix.reader()
    leaves = [leaf for leaf, _ in reader.leaf_readers()] if not reader.is_atomic() else [reader]
    return reader, [(leaf.segment().segment_id(), leaf) for leaf in leaves]


def has_files(dirpath: Path, segment_id: str, schema) -> bool:
    return all((Path(dirpath) / file_name(segment_id, f, "meta")).exists() for f in positional_fields(schema))


def _write_files(path: Path, leaf, sid: str) -> None:
    """What one segment lacks of its compact and marked postings."""
    if not has_files(path, sid, leaf.schema):
        write_segment(path, leaf, sid)
    if not marked.has_files(path, sid, leaf.schema):
        marked.write_segment(path, leaf, sid)


def write_missing(path: str | os.PathLike, procs: int = 1) -> dict:
    """Compact postings and marked postings (indexer/marked.py) for every segment of the index in
    ``path`` that lacks them; those of segments no longer in the index are removed.  ``procs`` > 1
    writes segments in parallel (forked processes, one segment each).  Returns
    {"written": [segment ids], "removed": n}."""
    from whoosh import index as whoosh_index

    path = Path(path)
    ix = whoosh_index.open_dir(str(path))
    try:
        reader, segments = _segments(ix)
        try:
            live = {sid for sid, _ in segments}
            todo = [(sid, leaf) for sid, leaf in segments
                    if not (has_files(path, sid, ix.schema) and marked.has_files(path, sid, ix.schema))]
            if procs > 1 and len(todo) > 1 and hasattr(os, "fork"):
                _write_parallel(path, todo, procs)
            else:
                for sid, leaf in todo:
                    _write_files(path, leaf, sid)
        finally:
            reader.close()
    finally:
        ix.close()
    removed = 0
    for child in path.iterdir():
        for prefix in (PREFIX, marked.PREFIX):
            sid = segfiles.segment_of(child.name, prefix)
            if sid is not None and (child.name.endswith(".tmp") or sid not in live):   # .tmp: a killed writer's
                child.unlink()
                removed += 1
    return {"written": [sid for sid, _ in todo], "removed": removed}


def _write_parallel(path: Path, todo, procs: int) -> None:
    """One forked child per segment, at most ``procs`` at a time; any failure raises."""
    pending = list(todo)
    running: dict[int, str] = {}
    failed = []
    while pending or running:
        while pending and len(running) < procs:
            sid, leaf = pending.pop(0)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                code = 1
                try:
                    _write_files(path, leaf, sid)
                    code = 0
                finally:
                    os._exit(code)
            running[pid] = sid
        pid, status = os.wait()
        sid = running.pop(pid, None)
        if sid is not None and status != 0:
            failed.append(sid)
    if failed:
        raise RuntimeError(f"compact postings could not be written for segment(s) {', '.join(failed)}")


# -- reading ------------------------------------------------------------------------------

DTYPES = {"starts": np.int64, "ids": np.int32, "tf": np.float32, "pstarts": np.int64, "pos": np.uint32}


terms_digest = segfiles.terms_digest


class SegmentPostings:
    """The compact postings of one field of one segment, memory-mapped, or None from ``open``.

    ``open`` checks the shape of everything (O(terms)); each term's slices are checked the
    first time it is read (O(its postings)): ids ascending inside the segment, whole positive
    weights, as many positions as the weights say, positions ascending per document, and, with
    the segment ``reader``, Whoosh's own statistics of the term (document frequency, total
    weight, first and last document).  A term that fails is read from Whoosh instead."""

    def __init__(self, meta: dict, arrays: dict, doc_count: int = 0, reader=None, fieldname: str = ""):
        self.terms = {t: i for i, t in enumerate(meta["terms"])}
        # plain ndarray views of the maps (same memory; no np.memmap overhead on every slice)
        arrays = {k: np.asarray(v).view(np.ndarray) for k, v in arrays.items()}
        self.starts = arrays["starts"]
        self.ids = arrays["ids"]
        self.tf = arrays["tf"]
        self.pstarts = arrays["pstarts"]
        self.pos = arrays["pos"]
        self.doc_count = doc_count
        self.reader = reader
        self.fieldname = fieldname
        self._checked = np.zeros(len(self.terms), np.int8)   # 0 not yet · 1 good · -1 bad
        self.rejected: list[str] = []                          # terms that failed (read from Whoosh)

    @classmethod
    def open(cls, dirpath, segment_id: str, fieldname: str, doc_count: int,
             reader=None) -> "SegmentPostings | None":
        dirpath = Path(dirpath)
        try:
            meta = json.loads((dirpath / file_name(segment_id, fieldname, "meta")).read_text(encoding="utf-8"))
            if (not isinstance(meta, dict) or meta.get("version") != VERSION
                    or meta.get("segment") != segment_id or meta.get("doc_count") != doc_count):
                return None
            arrays = {k: np.load(dirpath / file_name(segment_id, fieldname, k), mmap_mode="r",
                                 allow_pickle=False) for k in KINDS}
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not cls._valid(meta, arrays):
            return None
        return cls(meta, arrays, doc_count, reader, fieldname)

    @staticmethod
    def _valid(meta: dict, arrays: dict) -> bool:
        """Everything about the files that costs O(terms) to check."""
        terms = meta.get("terms")
        if (not isinstance(terms, list) or not all(isinstance(t, str) for t in terms)
                or len(set(terms)) != len(terms)):
            return False
        if "terms_sha256" in meta and meta["terms_sha256"] != terms_digest(terms):
            return False
        for kind, dtype in DTYPES.items():
            arr = arrays[kind]
            if arr.ndim != 1 or arr.dtype != dtype:
                return False
        starts, pstarts = arrays["starts"], arrays["pstarts"]
        n_terms = len(terms)
        n_ids, n_tf, n_pos = len(arrays["ids"]), len(arrays["tf"]), len(arrays["pos"])
        if len(starts) != n_terms + 1 or len(pstarts) != n_terms + 1:
            return False
        if int(starts[0]) != 0 or int(pstarts[0]) != 0:
            return False
        if int(starts[-1]) != n_ids or n_ids != n_tf or int(pstarts[-1]) != n_pos:
            return False
        if meta.get("postings", n_ids) != n_ids or meta.get("positions", n_pos) != n_pos:
            return False
        # every term has at least one posting, and every posting at least one position
        return bool(np.all(np.diff(starts) > 0)) and bool(np.all(np.diff(pstarts) > 0))

    def _check(self, i: int, term: str) -> bool:
        """The term's slices check out; decided once per term."""
        state = self._checked[i]
        if state == 0:
            # positions too: they are how a weight moved to another document shows
            state = 1 if self._postings_ok(i, term) and self._positions_ok(i) else -1
            self._checked[i] = state
            if state < 0:
                self.rejected.append(term)
        return state > 0

    def _postings_ok(self, i: int, term: str) -> bool:
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        ids, tf = self.ids[a:b], self.tf[a:b]
        if int(ids[0]) < 0 or int(ids[-1]) >= self.doc_count or not bool(np.all(np.diff(ids) > 0)):
            return False
        if not (bool(np.all(tf >= 1)) and bool(np.all(tf == np.floor(tf)))):
            return False
        total = int(tf.sum(dtype=np.float64))
        if int(self.pstarts[i + 1]) - int(self.pstarts[i]) != total:
            return False
        if self.reader is not None:
            try:
                info = self.reader.term_info(self.fieldname, term)
            except Exception:   # TermNotFound, or a reader that cannot say: do not trust the slice
                return False
            if (info.doc_frequency() != len(ids) or int(info.weight()) != total
                    or info.min_id() != int(ids[0]) or info.max_id() != int(ids[-1])):
                return False
        return True

    def _positions_ok(self, i: int) -> bool:
        """Positions ascending inside each document (a step down only where a new one starts)."""
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        counts = self.tf[a:b].astype(np.int64)
        pos = self.pos[int(self.pstarts[i]):int(self.pstarts[i + 1])].astype(np.int64)
        if len(pos) < 2:
            return True
        steps = np.diff(pos) > 0
        steps[np.cumsum(counts)[:-1] - 1] = True
        return bool(np.all(steps))

    def __contains__(self, term: str) -> bool:
        return term in self.terms

    def postings(self, term: str):
        """(ids int32 view, tf float32 view) or None when the term is not stored here (or its
        slices do not check out: then it is read from Whoosh)."""
        i = self.terms.get(term)
        if i is None or not self._check(i, term):
            return None
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return self.ids[a:b], self.tf[a:b]

    def positions(self, term: str):
        """uint32 positions of the term, document by document (``tf`` of them each)."""
        i = self.terms.get(term)
        if i is None or not self._check(i, term):
            return None
        return self.pos[int(self.pstarts[i]):int(self.pstarts[i + 1])]
