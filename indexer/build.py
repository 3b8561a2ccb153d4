"""Index writing: a full rebuild into a new generation, verified, then switched in atomically.

Shared by ``indexer.update`` (incremental add/delete/optimize): the writer
factory (one process, or Whoosh's multi-process writer with children that die
with their parent), the verification step and the manifest.
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import shutil
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from indexer import sidecar
from indexer.analysis import ANALYZER_VERSION
from indexer.documents import Problem
from indexer.ingest import JSONL_SUFFIXES, IngestReport, Ingestor
from indexer.lang import index_dependencies
from indexer.schema import date_to_int, make_schema, to_fields
from indexer.store import ExitCode, IndexStore, checkpoint, held_lock_fds

# Exit codes of the writing commands (all of them: indexer.store.ExitCode).
EXIT_OK = ExitCode.OK
EXIT_NOTHING_INDEXED = ExitCode.NOTHING_INDEXED
EXIT_STRICT = ExitCode.STRICT
EXIT_LOCKED = ExitCode.LOCKED
EXIT_REINDEX_NEEDED = ExitCode.REINDEX_NEEDED
EXIT_SHRINK = ExitCode.SHRINK

# From this many input documents on, a rebuild without an explicit ``procs`` uses
# two processes with ``multisegment=True`` (see the measurements in the README).
PARALLEL_THRESHOLD = 2000
PAUSE_AT_DOC = int(os.environ.get("KGSEARCH_TEST_PAUSE_AT_DOC", "50"))


@dataclass
class BuildResult:
    generation: str | None
    indexed: int
    report: IngestReport
    seconds: float
    published: bool
    reason: str = ""
    exit_code: int = EXIT_OK
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
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.indexed / self.seconds, 1) if self.seconds else None,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "problems": [str(p) for p in self.report.problems],
            **self.extra,
        }


# -- counting (for a progress bar with an ETA) ---------------------------------------
def count_documents(sources: Sequence[str]) -> int:
    """A cheap estimate of how many documents ``sources`` hold: non-blank lines of
    JSON Lines files, one per page file.  Reads nothing else; never reports problems."""
    total = 0
    for path in Ingestor().files(sources):
        if path.suffix.lower() in JSONL_SUFFIXES:
            try:
                with open(path, "rb") as fh:
                    for line in iter(lambda: fh.readline(1 << 20), b""):  # bounded: a huge line is counted per MB
                        if line.strip():
                            total += 1
            except OSError:
                pass
        else:
            total += 1
    return total


# -- writers ---------------------------------------------------------------------------
_PR_SET_PDEATHSIG = 1


class _ChildTask(SubWriterTask):
    """A Whoosh sub-writer process that dies with its parent (``kill -9`` of the
    writer must not leave orphans blocked on the job queue, holding an inherited
    copy of the write lock) and closes its inherited copy of the lock."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._parent_pid = os.getpid()

    def run(self):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if os.getppid() != self._parent_pid:   # the parent died before prctl
            os._exit(1)
        for fd in held_lock_fds():
            try:
                os.close(fd)
            except OSError:
                pass
        super().run()


class ParallelWriter(MpWriter):
    """``MpWriter`` whose children die with the parent and are really stopped on cancel
    (Whoosh's own ``cancel`` only flips a flag in the parent's copy of the task)."""

    def _new_task(self):
        task = _ChildTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                          self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join(5)
        self.tasks = []
        SegmentWriter.cancel(self)


def open_writer(ix, *, procs: int = 1, multisegment: bool = False, limitmb: int = 256):
    if procs > 1:
        writer = ParallelWriter(ix, procs=procs, multisegment=multisegment, limitmb=limitmb)
    else:
        writer = SegmentWriter(ix, limitmb=limitmb)
    if os.environ.get("KGSEARCH_TEST_PAUSE") or os.environ.get("KGSEARCH_TEST_FAIL"):
        # Test hook: pause after the segment files are written, before the TOC is.
        commit_toc = writer._commit_toc

        def paused_commit_toc(segments):
            checkpoint("commit")
            return commit_toc(segments)
        writer._commit_toc = paused_commit_toc
    return writer


def choose_procs(procs: int | None, multisegment: bool | None, expected: int) -> tuple[int, bool]:
    """Two processes with ``multisegment`` for large inputs on a machine with ≥ 2 cores."""
    if procs is None:
        procs = 2 if expected >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) >= 2 else 1
    if multisegment is None:
        multisegment = procs > 1
    return max(1, procs), bool(multisegment)


def verify(path: Path, expected: int) -> tuple[int, int]:
    """Open a committed generation like a server would; (documents, segments)."""
    ix = whoosh_index.open_dir(str(path))
    try:
        with ix.searcher() as searcher:
            count = searcher.doc_count()
        segments = len(ix._segments())
    finally:
        ix.close()
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


# -- full rebuild -----------------------------------------------------------------------
def rebuild(
    store: IndexStore,
    sources: Sequence[str],
    *,
    strict: bool = False,
    on_problem: Callable[[Problem], None] | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    lock_timeout: float = 30.0,
    limitmb: int = 256,
    procs: int | None = None,
    multisegment: bool | None = None,
    allow_shrink: bool = True,
) -> BuildResult:
    """Index ``sources`` into a new generation; publish it unless nothing (or, with
    ``strict``, anything bad) was found.  The served generation is untouched on failure,
    and a failed run's half-built generation is removed (also when an ``OSError`` such as
    a full disk goes on to the caller).

    ``allow_shrink=False``: refuse (``EXIT_SHRINK``) a new index with fewer than half of
    the served generation's documents.

    ``procs``/``multisegment``: Whoosh's multi-process writer; ``None`` chooses (two
    processes for inputs of ``PARALLEL_THRESHOLD`` documents or more)."""
    started = time.perf_counter()
    expected = count_documents(sources) if (on_total or procs is None) else 0
    if on_total:
        on_total(expected)
    procs, multisegment = choose_procs(procs, multisegment, expected)
    with store.write_lock(timeout=lock_timeout, what="reindex"):
        store.prune()  # half-built generations of killed runs
        served_name = store.current()
        served = store.manifest(served_name).get("documents") if served_name else None
        name, path = store.new_generation()
        try:
            ix = whoosh_index.create_in(str(path), make_schema())
            writer = open_writer(ix, procs=procs, multisegment=multisegment, limitmb=limitmb)
        except BaseException:
            store.discard(name)
            raise
        ingestor = Ingestor(on_problem=on_problem)
        first = last = 0
        indexed = 0
        try:
            for doc in ingestor.documents(sources):
                if strict and ingestor.report.errors:
                    continue   # this run will fail: keep reading only to report every problem
                writer.add_document(**to_fields(doc))
                indexed += 1
                if indexed == PAUSE_AT_DOC:
                    checkpoint("ingest")
                if doc.date:
                    d = date_to_int(doc.date)
                    first = min(first, d) if first else d
                    last = max(last, d)
                if progress:
                    progress(1)
        except BaseException:
            with contextlib.suppress(Exception):
                writer.cancel()
            shutil.rmtree(path, ignore_errors=True)
            raise
        report = ingestor.report

        def fail(reason: str, code: int, cancel: bool = True) -> BuildResult:
            if cancel:
                writer.cancel()
            shutil.rmtree(path, ignore_errors=True)
            return BuildResult(None, indexed, report, time.perf_counter() - started,
                               published=False, reason=reason, exit_code=code)

        if strict and report.errors:
            return fail(f"--strict: {len(report.errors)} error(s) in the input; "
                        "the served index is unchanged", EXIT_STRICT)
        if indexed == 0:
            return fail("nothing could be indexed; the served index is unchanged", EXIT_NOTHING_INDEXED)
        if not allow_shrink and isinstance(served, int) and indexed * 2 < served:
            return fail(f"refusing to replace the served generation {served_name} ({served} documents) "
                        f"with {indexed} (under half); the served index is unchanged. Check the "
                        "sources, or pass --allow-shrink if that is intended", EXIT_SHRINK)
        try:
            writer.commit()
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        # Verify before switching: the new generation opens and holds every document.
        try:
            count, segments = verify(path, indexed)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        if count != indexed:
            return fail(f"verification failed: {count} documents in the new index, "
                        f"{indexed} written", EXIT_NOTHING_INDEXED, cancel=False)
        compact = write_compact_postings(path)
        built_at = now_iso()
        store.write_manifest(name, {
            "generation": name,
            "built_at": built_at,
            "updated_at": built_at,
            "kind": "reindex",
            "sources": [os.path.abspath(s) for s in sources],
            "documents": indexed,
            "date_range": [first, last],
            "analyzer_version": ANALYZER_VERSION,
            **index_dependencies(),   # data-table fingerprint and facet value lists
            "procs": procs,
            "multisegment": multisegment,
            "segments": segments,
            "updates": [],
        })
        store.publish(name)
    return BuildResult(name, indexed, report, time.perf_counter() - started, published=True,
                       extra={"procs": procs, "multisegment": multisegment, "segments": segments, **compact})
