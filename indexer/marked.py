"""Marked postings: each word's exact-form and prefix terms (``=коррупцияга``, ``^корру``:
indexer/analysis.py), kept beside each Whoosh segment instead of inside it.

They only score — counting, phrases, ``корр*`` and highlighting use the stems, which Whoosh
indexes — so they need no positions, and they are two of every three terms a text gives.  Written
by Whoosh's writer (analyzer ky-5) they tripled a rebuild (10k documents: 463 → 146 docs/s) and
the index size; here they are counted with one cache lookup per token and written as arrays.

After every commit (``kgsearch reindex``, ``add``, ``delete``, ``optimize``) and before the new
generation is published, ``indexer.sidecar.write_missing`` writes them for every segment without
them, from the segment's stored text (``schema.indexed_texts`` → ``analysis.marked_counts``),
deleted documents included (Whoosh keeps a deleted document's postings until a merge: document
frequencies count both the same way)::

    kgm-<segment>.<field>.json        version, analyzer version, segment, doc count, the terms in order
    kgm-<segment>.<field>.starts.npy  int64[T+1]  term t's postings are [starts[t], starts[t+1])
    kgm-<segment>.<field>.ids.npy     int32[P]    segment-local document numbers, ascending per term
    kgm-<segment>.<field>.tf.npy      float32[P]  occurrences of the term in the document

A merged segment is a new segment, so its files are computed anew; a copy-on-write generation
hard-links the others like the segment files.  The query side (search/backend/whoosh_terms.py)
maps them read-only.  A segment whose files are missing or do not check out is served by its
stems alone (its documents score without the marked terms) and ``kgsearch reindex`` restores it.
"""
from __future__ import annotations

import json
from array import array
from pathlib import Path

import numpy as np

from indexer.analysis import ANALYZER_VERSION, marked_counts
from indexer.fields import TEXT_FIELD_NAMES
from indexer.schema import indexed_texts
from indexer.segfiles import file_name, save_arrays, terms_digest

VERSION = 1
PREFIX = "kgm-"
KINDS = ("starts", "ids", "tf")
DTYPES = {"starts": np.int64, "ids": np.int32, "tf": np.float32}


def fields(schema) -> list[str]:
    """The text fields of the registry that the schema has (the ones with marked terms)."""
    return [f for f in TEXT_FIELD_NAMES if f in schema]


def segment_arrays(reader) -> dict[str, tuple[list[str], dict]]:
    """{field: (terms sorted, {"starts", "ids", "tf"})} of one segment reader, from its stored text."""
    names = fields(reader.schema)
    vocab = {f: {} for f in names}
    cols = {f: (array("i"), array("i"), array("f")) for f in names}      # term id, docnum, tf
    for docnum in range(reader.doc_count_all()):
        texts = indexed_texts(reader.stored_fields(docnum))
        for f in names:
            text = texts[f]
            if not text:
                continue
            ids, tids, docs, tfs = vocab[f], *cols[f]
            counts = marked_counts(text)
            for term in [t for t in counts if t not in ids]:
                ids[term] = len(ids)
            tids.extend(map(ids.__getitem__, counts))
            docs.extend([docnum] * len(counts))
            tfs.extend(counts.values())
    out = {}
    for f in names:
        ids, (tids, docs, tfs) = vocab[f], cols[f]
        terms = sorted(ids)
        rank = np.empty(len(terms), np.int64)
        rank[np.fromiter((ids[t] for t in terms), np.int64, len(terms))] = np.arange(len(terms))
        r = rank[np.frombuffer(tids, np.int32)] if len(tids) else np.zeros(0, np.int64)
        order = np.argsort(r, kind="stable")             # by term, documents ascending within
        starts = np.zeros(len(terms) + 1, np.int64)
        np.cumsum(np.bincount(r, minlength=len(terms)), out=starts[1:])
        out[f] = (terms, {
            "starts": starts,
            "ids": np.frombuffer(docs, np.int32)[order] if len(docs) else np.zeros(0, np.int32),
            "tf": np.frombuffer(tfs, np.float32)[order] if len(tfs) else np.zeros(0, np.float32),
        })
    return out


def write_segment(dirpath: Path, reader, segment_id: str) -> int:
    """Write the marked postings of one segment reader; returns the number of postings."""
    total = 0
    for fieldname, (terms, arrays) in segment_arrays(reader).items():
        meta = {"version": VERSION, "analyzer": ANALYZER_VERSION, "segment": segment_id,
                "field": fieldname, "doc_count": reader.doc_count_all(),
                "postings": len(arrays["ids"]), "terms_sha256": terms_digest(terms), "terms": terms}
        save_arrays(Path(dirpath), PREFIX, segment_id, fieldname, arrays, meta)
        total += len(arrays["ids"])
    return total


def has_files(dirpath: Path, segment_id: str, schema) -> bool:
    return all((Path(dirpath) / file_name(segment_id, f, "meta", PREFIX)).exists() for f in fields(schema))


class MarkedPostings:
    """The marked postings of one field of one segment, memory-mapped, or None from ``open``.

    ``open`` checks the shape of everything (O(terms)); each term's slices are checked the
    first time it is read (ids strictly ascending inside the segment, whole weights ≥ 1).
    A term that fails gives nothing (and is listed in ``rejected``)."""

    def __init__(self, meta: dict, arrays: dict, doc_count: int):
        self.term_list = meta["terms"]
        self.terms = {t: i for i, t in enumerate(self.term_list)}
        arrays = {k: np.asarray(v).view(np.ndarray) for k, v in arrays.items()}
        self.starts, self.ids, self.tf = arrays["starts"], arrays["ids"], arrays["tf"]
        self.doc_count = doc_count
        self._checked = np.zeros(len(self.terms), np.int8)   # 0 not yet · 1 good · -1 bad
        self.rejected: list[str] = []

    @classmethod
    def open(cls, dirpath, segment_id: str, fieldname: str, doc_count: int) -> "MarkedPostings | None":
        dirpath = Path(dirpath)
        try:
            meta = json.loads((dirpath / file_name(segment_id, fieldname, "meta", PREFIX)).read_text(encoding="utf-8"))
            if (not isinstance(meta, dict) or meta.get("version") != VERSION
                    or meta.get("analyzer") != ANALYZER_VERSION or meta.get("segment") != segment_id
                    or meta.get("field") != fieldname or meta.get("doc_count") != doc_count):
                return None
            arrays = {k: np.load(dirpath / file_name(segment_id, fieldname, k, PREFIX), mmap_mode="r",
                                 allow_pickle=False) for k in KINDS}
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        terms = meta.get("terms")
        if (not isinstance(terms, list) or not all(isinstance(t, str) for t in terms)
                or len(set(terms)) != len(terms) or meta.get("terms_sha256") != terms_digest(terms)):
            return None
        for kind, dtype in DTYPES.items():
            if arrays[kind].ndim != 1 or arrays[kind].dtype != dtype:
                return None
        starts = arrays["starts"]
        n = len(arrays["ids"])
        if (len(starts) != len(terms) + 1 or int(starts[0]) != 0 or int(starts[-1]) != n
                or len(arrays["tf"]) != n or meta.get("postings") != n
                or (len(starts) > 1 and bool(np.any(np.diff(starts) < 1)))):
            return None
        return cls(meta, arrays, doc_count)

    def postings(self, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(segment-local ids int32, tf float32) of a term, or None when the segment lacks it."""
        i = self.terms.get(text)
        if i is None:
            return None
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        ids, tf = self.ids[a:b], self.tf[a:b]
        state = self._checked[i]
        if state == 0:
            good = (len(ids) > 0 and int(ids[0]) >= 0 and int(ids[-1]) < self.doc_count
                    and bool(np.all(np.diff(ids) > 0)) and bool(np.all(tf >= 1))
                    and bool(np.all(tf == np.floor(tf))))
            state = self._checked[i] = 1 if good else -1
            if not good:
                self.rejected.append(text)
        return (ids, tf) if state == 1 else None

    def doc_frequency(self, text: str) -> int:
        got = self.postings(text)
        return len(got[0]) if got is not None else 0

    def frequencies(self) -> dict[str, int]:
        """Every term's number of documents (not checked term by term)."""
        counts = np.diff(self.starts).tolist()
        return dict(zip(self.term_list, counts))
