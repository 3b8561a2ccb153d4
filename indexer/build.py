"""A full rebuild: every source indexed into a new generation (``indexer.transaction``),
verified, then switched in atomically.  Also the document count estimate for progress bars
and the choice of the multi-process writer."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from indexer import history as recorded_history
from indexer import testhooks
from indexer.documents import Problem
from indexer.ingest import JSONL_SUFFIXES, IngestReport, Ingestor
from indexer.schema import date_to_int, to_fields
from indexer.store import ExitCode, IndexStore
from indexer.transaction import BuildResult, VerificationFailed, WriteTransaction

__all__ = ["BuildResult", "PARALLEL_THRESHOLD", "choose_procs", "count_documents", "rebuild"]

# From this many input documents on, a rebuild without an explicit ``procs`` uses
# two processes with ``multisegment=True`` (see the measurements in the README).
PARALLEL_THRESHOLD = 2000


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


def choose_procs(procs: int | None, multisegment: bool | None, expected: int) -> tuple[int, bool]:
    """Two processes with ``multisegment`` for large inputs on a machine with ≥ 2 cores."""
    if procs is None:
        procs = 2 if expected >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) >= 2 else 1
    if multisegment is None:
        multisegment = procs > 1
    return max(1, procs), bool(multisegment)


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
    history: list[dict] | None = None,
) -> BuildResult:
    """Index ``sources`` into a new generation; publish it unless nothing (or, with
    ``strict``, anything bad) was found.  The served generation is untouched on failure,
    and a failed run's half-built generation is removed (also when an ``OSError`` such as
    a full disk goes on to the caller).  ``allow_shrink=False``: refuse (``ExitCode.SHRINK``)
    a new index with fewer than half of the served generation's documents.
    ``procs``/``multisegment``: Whoosh's multi-process writer; ``None`` chooses (two
    processes for inputs of ``PARALLEL_THRESHOLD`` documents or more).  ``history``: replay
    a recorded history (``indexer/history.py``: ``reindex`` without SOURCE) instead."""
    started = time.perf_counter()
    if history is not None:
        sources = recorded_history.all_sources(history)
    procs, multisegment = _plan_writer(sources, procs, multisegment, on_total)
    with WriteTransaction(store, "reindex", lock_timeout=lock_timeout, started=started) as txn:
        served = store.manifest(txn.served).get("documents") if txn.served else None
        txn.create()
        writer = txn.writer(procs=procs, multisegment=multisegment, limitmb=limitmb)
        ingestor = Ingestor(on_problem=on_problem)
        documents, steps, replayed = _input(ingestor, sources, history)
        indexed, dates = _add_all(writer, documents, ingestor.report, strict, progress)
        report = ingestor.report

        def fail(reason: str, code: int) -> BuildResult:
            return BuildResult(None, indexed, report, txn.seconds(), published=False, reason=reason,
                               exit_code=code)

        why = _refusal(report, indexed, served, txn.served, strict, allow_shrink)
        if why:
            return fail(*why)
        try:
            _, segments = txn.commit(indexed)   # the new generation opens and holds every document
        except VerificationFailed as exc:
            return fail(f"verification failed: {exc.count} documents in the new index, "
                        f"{indexed} written", ExitCode.NOTHING_INDEXED)
        compact = txn.publish({
            "sources": [os.path.abspath(s) for s in sources],
            "documents": indexed,
            "date_range": dates,
            "procs": procs,
            "multisegment": multisegment,
            "segments": segments,
            "history": steps,
        })
    return BuildResult(txn.name, indexed, report, txn.seconds(), published=True,
                       extra={"procs": procs, "multisegment": multisegment, "segments": segments,
                              **replayed, **compact})


def _plan_writer(sources, procs, multisegment, on_total) -> tuple[int, bool]:
    """Count the input (for the progress bar, and to choose the writer) and choose it."""
    expected = count_documents(sources) if (on_total or procs is None) else 0
    if on_total:
        on_total(expected)
    return choose_procs(procs, multisegment, expected)


def _input(ingestor: Ingestor, sources: Sequence[str], history: list[dict] | None):
    """What a rebuild reads: (documents, the history to record, the replay's counts — filled
    in as the documents are read)."""
    if history is None:
        return ingestor.documents(sources), recorded_history.started([os.path.abspath(s) for s in sources]), {}
    replayed: dict = {}
    return _replayed(history, ingestor, replayed), history, replayed


def _replayed(history: list[dict], ingestor: Ingestor, counts: dict):
    """The documents of a recorded history (each step read with its own set of seen ids);
    ``counts`` gets the replay's ``replaced``/``kept_deleted`` and the steps replayed."""
    def read(step_sources):
        ingestor.forget_ids()
        return ingestor.documents(step_sources)
    counts.update((yield from recorded_history.replay(history, read)))
    counts["replayed"] = recorded_history.describe(history)


def _add_all(writer, documents, report: IngestReport, strict: bool, progress) -> tuple[int, list[int]]:
    """Add every document; (how many, [first date, last date] as yyyymmdd ints or 0)."""
    first = last = indexed = 0
    for doc in documents:
        if strict and report.errors:
            continue   # this run will fail: keep reading only to report every problem
        writer.add_document(**to_fields(doc))
        indexed += 1
        testhooks.point("ingest", count=indexed)
        if doc.date:
            d = date_to_int(doc.date)
            first = min(first, d) if first else d
            last = max(last, d)
        if progress:
            progress(1)
    return indexed, [first, last]


def _refusal(report: IngestReport, indexed: int, served: int | None, served_name: str | None,
             strict: bool, allow_shrink: bool) -> tuple[str, int] | None:
    """Why the new generation must not be published, with the exit code; None when it may."""
    if strict and report.errors:
        return (f"--strict: {len(report.errors)} error(s) in the input; "
                "the served index is unchanged", ExitCode.STRICT)
    if indexed == 0:
        return "nothing could be indexed; the served index is unchanged", ExitCode.NOTHING_INDEXED
    if not allow_shrink and isinstance(served, int) and indexed * 2 < served:
        return (f"refusing to replace the served generation {served_name} ({served} documents) "
                f"with {indexed} (under half); the served index is unchanged. Check the "
                "sources, or pass --allow-shrink if that is intended", ExitCode.SHRINK)
    return None
