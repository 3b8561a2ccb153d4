"""One write transaction: how every change of the index (reindex, add, delete, optimize) is made.

::

    with WriteTransaction(store, "add", lock_timeout=30) as txn:   # lock, prune, read CURRENT
        ix = txn.link()            # or txn.create(): a new generation (hard-linked copy / empty)
        writer = txn.writer()      # a Whoosh writer on it
        ...                        # add and delete documents
        if refused:
            return ...             # leaving the block unpublished removes the new generation
        count, segments = txn.commit(expected)   # commit, reopen, check the document count
        txn.publish({...}, log={...})            # compact postings, manifest, flush, switch

The served generation is never written to.  Whatever ends the block before ``publish``
returns — a refusal (``--strict``, nothing to index, a failed verification), an exception
(a full or read-only disk: the ``OSError`` goes on to the caller, which exits with
``ExitCode.ENVIRONMENT``), ``KeyboardInterrupt`` — cancels the writer (stopping its
sub-processes), removes the half-built generation and leaves ``CURRENT`` as it was; the
lock is released in every case.  A ``kill -9`` leaves a generation without a manifest,
which the next transaction's prune removes.

Also here: the writer factory (one process, or Whoosh's multi-process writer with children
that die with their parent) and the steps a commit is checked by.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import pickle
import signal
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import multiproc as whoosh_multiproc
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from indexer import sidecar, stems, testhooks
from indexer.analysis import ANALYZER_VERSION
from indexer.ingest import IngestReport
from indexer.lang import index_dependencies
from indexer.schema import make_schema
from indexer.store import ExitCode, GenerationUnusable, IndexStore, describe_error, die_with_parent, held_lock_fds

MAX_UPDATE_LOG = 50   # entries of a manifest's "updates" log


@dataclass
class BuildResult:
    generation: str | None
    indexed: int
    report: IngestReport
    seconds: float
    published: bool
    reason: str = ""
    exit_code: int = ExitCode.OK
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "generation": self.generation,
            "published": self.published,
            "indexed": self.indexed,
            "skipped": len(self.report.errors),
            "warnings": len(self.report.warnings),
            "files": self.report.files,
            "ignored_files": self.report.ignored_files,
            "ignored_examples": list(self.report.ignored_examples),
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.indexed / self.seconds, 1) if self.seconds else None,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "problems": [str(p) for p in self.report.problems],
            **self.extra,
        }


class VerificationFailed(Exception):
    """A committed generation does not hold the documents it should."""

    def __init__(self, count: int, expected: int):
        self.count, self.expected = count, expected
        super().__init__(f"verification failed: {count} documents in the new index, {expected} expected")


# -- writers ---------------------------------------------------------------------------
class _CommitPoint:
    """The ``commit`` test point of a writer: segment files written, TOC not yet."""

    def _commit_toc(self, segments):
        testhooks.point("commit")
        return super()._commit_toc(segments)


_BYTE_TO_LENGTH = tuple(byte_to_length(b) if b else 0 for b in range(256))


class _SegmentLengths:
    """The field lengths of the segment being written, each field's column read once into a
    list.  Whoosh's ``add_postings`` asks for the length of every posting's document (for its
    blocks' length bounds), and its reader answers each with a seek, a read and an unpack."""

    def __init__(self, reader):
        self._reader = reader
        self._fields: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        """Whoosh's signature; 0 for no length (where Whoosh's reader answers None or
        ``default``: ``add_postings`` takes any false value as no length)."""
        lengths = self._fields.get(fieldname)
        if lengths is None:
            lengths = self._fields[fieldname] = self._load(fieldname)
        return lengths[docnum] if docnum < len(lengths) else 0

    def _load(self, fieldname: str) -> list[int]:
        column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return []
        return [_BYTE_TO_LENGTH[b] for b in column.load()]


class _FastFlush:
    """``SegmentWriter._flush_segment`` with the field lengths read once (``_SegmentLengths``);
    the postings written are the same."""

    def _flush_segment(self):
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _SegmentLengths(reader) if reader is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if reader is not None:
            reader.close()


class _SubWriter(_FastFlush, SegmentWriter):
    """The writer of a sub-writer process."""


class Writer(_CommitPoint, _FastFlush, SegmentWriter):
    """Whoosh's one-process writer."""


class _ChildTask(SubWriterTask):
    """A Whoosh sub-writer process that dies with its parent (``kill -9`` of the
    writer must not leave orphans blocked on the job queue, holding an inherited
    copy of the write lock) and closes its inherited copy of the lock."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._parent_pid = os.getpid()

    def run(self):
        die_with_parent(self._parent_pid)
        # Ctrl-C reaches the whole process group: the parent alone handles it (it cancels the
        # writer, which terminates this process), so no child prints a KeyboardInterrupt traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for fd in held_lock_fds():
            with contextlib.suppress(OSError):
                os.close(fd)
        whoosh_multiproc.SegmentWriter = _SubWriter   # this process only: its writer flushes faster
        super().run()


class ParallelWriter(_CommitPoint, MpWriter):
    """``MpWriter`` whose children die with the parent and are really stopped on cancel
    (Whoosh's own ``cancel`` only flips a flag in the parent's copy of the task)."""

    def _new_task(self):
        task = _ChildTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                          self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def stop_children(self):
        """Terminate the sub-writer processes still running (a cancel, or a commit that was
        interrupted: they must not go on writing into a generation being removed)."""
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join(5)
        self.tasks = []

    def cancel(self):
        self.stop_children()
        SegmentWriter.cancel(self)


def open_writer(ix, *, procs: int = 1, multisegment: bool = False, limitmb: int = 256):
    if procs > 1:
        return ParallelWriter(ix, procs=procs, multisegment=multisegment, limitmb=limitmb)
    return Writer(ix, limitmb=limitmb)


# -- checks of a committed generation ------------------------------------------------------
def verify(path: Path, expected: int | None = None) -> tuple[int, int]:
    """Open a committed generation like a server would: (documents, segments).
    ``VerificationFailed`` when ``expected`` is given and the count differs."""
    ix = whoosh_index.open_dir(str(path))
    try:
        with ix.searcher() as searcher:
            count = searcher.doc_count()
        segments = len(ix._segments())
    finally:
        ix.close()
    if expected is not None and count != expected:
        raise VerificationFailed(count, expected)
    return count, segments


def write_compact_postings(path: Path) -> dict:
    """The compact postings (indexer/sidecar.py) of every segment of a committed generation
    that has none, before it is published.  They only make queries faster: when they cannot be
    written the generation is served from Whoosh's postings alone, and the reason is returned."""
    try:
        done = sidecar.write_missing(path, procs=min(2, os.cpu_count() or 1))
    except (OSError, RuntimeError, ValueError) as exc:
        return {"compact_postings": f"not written ({exc}); queries read Whoosh's postings"}
    return {"compact_postings": f"{len(done['written'])} segment(s) written"}


def write_stems(path: Path, previous: Path | None) -> dict:
    """The stems of the generation's word forms (indexer/stems.py), before it is published.
    Like the compact postings they only make queries faster: when they cannot be written the
    stemmer runs as before, and the reason is returned."""
    try:
        return stems.write(path, previous)
    except (OSError, ValueError) as exc:
        return {"stems": f"not written ({exc}); the stemmer runs for every new word"}


def date_range(path: Path) -> list[int]:
    ix = whoosh_index.open_dir(str(path))
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            dates = [d for n, d in enumerate(reader.column_reader("date"))
                     if d and not reader.is_deleted(n)]
    finally:
        ix.close()
    return [min(dates), max(dates)] if dates else [0, 0]


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def is_environment(exc: BaseException) -> bool:
    """An ``OSError`` of writing (a full or read-only disk), not a broken served generation."""
    return isinstance(exc, OSError) and exc.errno in (
        errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EMFILE, errno.ENFILE)


# What reading a cut-short or garbled Whoosh file raises (a truncated segment: EOFError from its
# pickled directory, struct.error from a short read, zlib.error from a compressed block).
_CORRUPT_DATA = (EOFError, struct.error, zlib.error, pickle.UnpicklingError)


def _probe(ix) -> None:
    """Open every segment of ``ix`` for reading as the read commands do (its compound file's
    directory, terms and stored fields), and read its date column: a truncated or garbled
    segment fails here, before a writer starts on it."""
    reader = ix.reader()
    try:
        reader.doc_count_all()
        for _ in reader.column_reader("date"):
            pass
    finally:
        reader.close()


# -- the transaction -------------------------------------------------------------------------
class WriteTransaction:
    """See the module docstring.  ``kind``: ``reindex``, ``add``, ``delete`` or ``optimize``
    (the lock's note and the manifest's ``kind``).  Attributes: ``served`` (the generation
    served when the lock was taken, or None), ``name``/``path``/``ix`` of the new one."""

    def __init__(self, store: IndexStore, kind: str, *, lock_timeout: float = 30.0,
                 started: float | None = None):
        self.store, self.kind, self.lock_timeout = store, kind, lock_timeout
        self.started = time.perf_counter() if started is None else started   # for seconds()
        self.served: str | None = None
        self.name: str | None = None
        self.path: Path | None = None
        self.ix = None
        self._writer = None
        self._base: dict | None = None   # the served manifest a linked generation continues
        self._committed = self.published = False
        self._linked = False     # the new generation continues the served one (link)
        self._lock = None

    def __enter__(self) -> WriteTransaction:
        lock = self.store.write_lock(timeout=self.lock_timeout, what=self.kind)
        lock.__enter__()
        self._lock = lock
        try:
            self.store.prune()   # half-built generations of killed runs
            self.served = self.store.current()
        except BaseException as exc:
            lock.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        try:
            if not self.published:
                self._abandon()
        finally:
            self._lock.__exit__(kind, exc, tb)
        if self._linked and exc is not None and isinstance(exc, _CORRUPT_DATA) and not self._committed:
            # reading the served generation's files failed past the probe (a segment cut short
            # after its header): the same exit as the read commands', not a traceback
            raise GenerationUnusable(self.served, f"its Whoosh files are unreadable: {describe_error(exc)}",
                                     self.store.rollback_target(self.served)) from None
        return False

    def _abandon(self) -> None:
        """Cancel the writer and remove the new generation (never the served one)."""
        if self._writer is not None and not self._committed:
            with contextlib.suppress(Exception):
                self._writer.cancel()
        elif isinstance(self._writer, ParallelWriter):     # a commit that did not finish (Ctrl-C)
            with contextlib.suppress(Exception):
                self._writer.stop_children()
        if self.ix is not None:
            with contextlib.suppress(Exception):
                self.ix.close()
        if self.name is not None:
            self.store.discard(self.name)

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    # -- the new generation ---------------------------------------------------------------
    def served_manifest(self) -> dict:
        """The served generation's manifest (``{}`` when nothing is served);
        ``GenerationUnusable`` when it cannot be read."""
        if self.served is None:
            return {}
        if self._base is None:
            self._base = self.store.read_manifest(self.served)
        return self._base

    def create(self):
        """A new, empty generation; its Whoosh index."""
        self.name, self.path = self.store.new_generation()
        self.ix = whoosh_index.create_in(str(self.path), make_schema())
        return self.ix

    def link(self):
        """A copy-on-write child of the served generation (hard links to its files), opened
        for writing.  ``GenerationUnusable`` when the served generation cannot be opened."""
        current = self.served
        self.served_manifest()
        self._linked = True
        try:
            self.name, self.path = self.store.link_generation(current)
            self.ix = whoosh_index.open_dir(str(self.path))
            _probe(self.ix)          # every segment's files open, as a reader (stats, search) opens them
        except Exception as exc:
            if isinstance(exc, OSError) and not self.store.path(current).is_dir():
                raise GenerationUnusable(current, "its folder is missing",
                                         self.store.rollback_target(current)) from None
            if not is_environment(exc):
                raise GenerationUnusable(current, f"its Whoosh files are unreadable: {describe_error(exc)}",
                                         self.store.rollback_target(current)) from None
            raise
        return self.ix

    def writer(self, *, procs: int = 1, multisegment: bool = False, limitmb: int = 256):
        self._writer = open_writer(self.ix, procs=procs, multisegment=multisegment, limitmb=limitmb)
        return self._writer

    # -- commit and publish -------------------------------------------------------------------
    def commit(self, expected: int | None = None, *, optimize: bool = False) -> tuple[int, int]:
        """Commit the writer, reopen the generation like a server would: (documents, segments).
        ``VerificationFailed`` when it does not hold ``expected`` documents."""
        self._committed = True
        self._writer.commit(optimize=optimize)
        self.ix.close()
        self.ix = None
        return verify(self.path, expected)

    def publish(self, fields: dict, log: dict | None = None) -> dict:
        """Write the compact postings, the stems file and the manifest (the served one's, or a new one with
        the analyzer version and ``index_dependencies()``; updated by ``fields`` and, with
        ``log``, one more entry of the update log), flush and switch ``CURRENT``.  Returns
        what became of the compact postings."""
        compact = write_compact_postings(self.path)
        compact.update(write_stems(self.path, self.store.path(self.served) if self.served else None))
        at = now_iso()
        manifest = dict(self._base) if self._base else {
            "built_at": at, "sources": [], "analyzer_version": ANALYZER_VERSION,
            **index_dependencies(), "updates": []}
        manifest.update({"generation": self.name, "updated_at": at, "kind": self.kind, **fields})
        if log is not None:
            updates = list(manifest.get("updates") or []) + [{"at": at, "kind": self.kind, **log}]
            manifest["updates"] = updates[-MAX_UPDATE_LOG:]
        self.store.write_manifest(self.name, manifest)
        self.store.publish(self.name)
        self.published = True
        return compact
