"""Incremental changes to the served index: add (upsert by id), delete, optimize, rollback.

Every change is copy-on-write: a new generation starts as hard links to the
served generation's files (``IndexStore.link_generation``), one writer applies
the whole batch there, commits, the result is verified and flushed, and only
then does ``CURRENT`` switch.  The served generation is never written to, so a
``kill -9`` at any moment leaves it readable with every document it had; it
becomes ``PREVIOUS`` (``kgsearch rollback``).

``add`` compares the stored content hash of each incoming document with the one
in the index: unchanged documents are skipped, changed ones replaced (deleted
and re-added in the same commit), new ones added.  Deletions look every id up
with the writer's one searcher and mark documents deleted by number, in one
batch and one commit (no ``update_document`` per document).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from whoosh.fields import STORED

from indexer import history as recorded_history
from indexer import testhooks
from indexer.build import count_documents
from indexer.documents import Problem
from indexer.ingest import IngestReport, Ingestor
from indexer.lang import needs_reindex
from indexer.schema import make_schema, to_fields
from indexer.store import ExitCode, GenerationUnusable, IndexStore, describe_error
from indexer.transaction import BuildResult, VerificationFailed, WriteTransaction, date_range, verify

UNCHANGED = "the served index is unchanged"


class NoIndexToChange(Exception):
    """``delete``/``optimize``/``rollback`` without a served index."""


def _result(name, indexed, report, started, published, reason="", code=ExitCode.OK, **extra) -> BuildResult:
    return BuildResult(name, indexed, report, time.perf_counter() - started, published=published,
                       reason=reason, exit_code=code, extra=extra)


@dataclass
class _Batch:
    """One ``add``/``delete`` run: what it was asked to do and what it did."""
    sources: list[str]
    delete_ids: list[str]
    strict: bool
    ingestor: Ingestor
    progress: Callable[[int], None] | None
    started: float
    counts: dict = field(default_factory=lambda: {
        "added": 0, "updated": 0, "unchanged": 0, "deleted": 0, "not_found": []})
    deleted_ids: list[str] = field(default_factory=list)   # the ids really deleted (recorded)

    @property
    def report(self) -> IngestReport:
        return self.ingestor.report

    @property
    def indexed(self) -> int:
        return self.counts["added"] + self.counts["updated"]

    def result(self, name, published, reason="", code=ExitCode.OK, indexed=None, **extra) -> BuildResult:
        indexed = self.indexed if indexed is None else indexed
        return _result(name, indexed, self.report, self.started, published, reason, code,
                       **self.counts, **extra)


def update(
    store: IndexStore,
    sources: Sequence[str] = (),
    delete_ids: Iterable[str] = (),
    *,
    strict: bool = False,
    on_problem: Callable[[Problem], None] | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    lock_timeout: float = 30.0,
    limitmb: int = 256,
) -> BuildResult:
    """Upsert the documents of ``sources`` and delete ``delete_ids`` in one new generation.

    ``extra`` of the result: ``added``, ``updated``, ``unchanged``, ``deleted``,
    ``not_found`` (ids asked to delete that were not in the index), ``documents``."""
    started = time.perf_counter()
    sources = [str(s) for s in sources]
    batch = _Batch(sources, [str(i).strip() for i in delete_ids if str(i).strip()], strict,
                   Ingestor(on_problem=on_problem), progress, started)
    kind = "add" if sources else "delete"
    if on_total and sources:
        on_total(count_documents(sources))
    if not sources:
        _must_exist(store, "nothing to delete")
    with WriteTransaction(store, kind, lock_timeout=lock_timeout, started=started) as txn:
        if txn.served is None and not sources:
            raise NoIndexToChange(f"no index at {store.root}; nothing to delete")
        refused = _mixes_versions(txn, batch)   # GenerationUnusable: the served manifest is unreadable
        if refused:
            return refused
        ix = txn.link() if txn.served else txn.create()
        before = ix.doc_count()
        _apply(_open_writer(txn, limitmb), batch)
        return _refusal(txn, batch, before) or _publish(txn, batch, before)


def _mixes_versions(txn: WriteTransaction, batch: _Batch) -> BuildResult | None:
    """Adding to an index built with another analyzer version or other data tables is refused."""
    manifest = txn.served_manifest()
    why = needs_reindex(manifest) if batch.sources and txn.served is not None else None
    if not why:
        return None
    return batch.result(txn.served, False, f"{why}: adding would mix the two; run `kgsearch reindex` "
                        "(without SOURCE it rebuilds from the sources the index records), then add",
                        ExitCode.REINDEX_NEEDED, indexed=0)


def _open_writer(txn: WriteTransaction, limitmb: int):
    writer = txn.writer(procs=1, limitmb=limitmb)
    for fname, ftype in make_schema().items():   # stored-only fields added since the build
        if fname not in writer.schema and type(ftype) is STORED:   # (date_evidence)
            writer.add_field(fname, ftype)
    return writer


def _apply(writer, batch: _Batch) -> None:
    """Upsert the batch's documents and delete its ids, with one searcher for every lookup."""
    searcher = writer.searcher()
    counts, report = batch.counts, batch.report
    seen = 0
    for doc in batch.ingestor.documents(batch.sources):
        if batch.strict and report.errors:
            continue   # this run will fail: keep reading only to report every problem
        counts[_upsert(writer, searcher, to_fields(doc))] += 1
        seen += 1
        testhooks.point("ingest", count=seen)
        if batch.progress:
            batch.progress(1)
    for doc_id in dict.fromkeys(batch.delete_ids):
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            counts["not_found"].append(doc_id)
        else:
            writer.delete_document(docnum)
            counts["deleted"] += 1
            batch.deleted_ids.append(doc_id)


def _upsert(writer, searcher, fields: dict) -> str:
    """Add, replace or skip (same content hash) one document; which of the three it was."""
    docnum = searcher.document_number(id=fields["id"])
    if docnum is None:
        writer.add_document(**fields)
        return "added"
    if searcher.stored_fields(docnum).get("hash") == fields["hash"]:
        return "unchanged"
    writer.delete_document(docnum)
    writer.add_document(**fields)
    return "updated"


def _refusal(txn: WriteTransaction, batch: _Batch, before: int) -> BuildResult | None:
    """The result of a batch that must not (or need not) be published; None when it may."""
    report = batch.report
    if batch.strict and report.errors:
        return batch.result(None, False, f"--strict: {len(report.errors)} error(s) in the input; "
                            f"{UNCHANGED}", ExitCode.STRICT)
    if batch.sources and report.read == 0:
        return batch.result(None, False, f"nothing could be indexed; {UNCHANGED}",
                            ExitCode.NOTHING_INDEXED, indexed=0)
    if batch.indexed == 0 and batch.counts["deleted"] == 0:
        return batch.result(txn.served, False, f"no changes; {UNCHANGED}", ExitCode.OK, indexed=0,
                            documents=before)
    return None


def _publish(txn: WriteTransaction, batch: _Batch, before: int) -> BuildResult:
    counts = batch.counts
    expected = before + counts["added"] - counts["deleted"]
    try:
        count, segments = txn.commit(expected)
    except VerificationFailed as exc:
        return batch.result(None, False, f"verification failed: {exc.count} documents in the new index, "
                            f"{expected} expected; {UNCHANGED}", ExitCode.NOTHING_INDEXED)
    served = txn.served_manifest()
    known = list(served.get("sources") or [])
    sources = [os.path.abspath(s) for s in batch.sources]   # recorded so `reindex` can reread them
    # the history a `reindex` without SOURCE replays (indexer/history.py): this upsert, then
    # the ids this batch really deleted
    steps = recorded_history.with_sources(recorded_history.recorded(served), "add", sources)
    steps = recorded_history.with_deletions(steps, batch.deleted_ids)
    compact = txn.publish({
        "parent": txn.served,
        "sources": known + [s for s in sources if s not in known],
        "documents": count,
        "date_range": date_range(txn.path),
        "segments": segments,
        "history": steps,
    }, log={"sources": sources, **{k: counts[k] for k in ("added", "updated", "unchanged", "deleted")},
            "skipped": len(batch.report.errors)})
    return batch.result(txn.name, True, documents=count, segments=segments, **compact)


def _must_exist(store: IndexStore, what: str) -> None:
    """A command that changes an index refuses a folder that does not exist before taking the
    lock, which would create it (a mistyped ``--index`` leaves nothing behind)."""
    if not store.root.is_dir():
        raise NoIndexToChange(f"no index at {store.root}; {what}")


def optimize(store: IndexStore, *, lock_timeout: float = 30.0) -> BuildResult:
    """Merge the served generation's segments (and drop deleted documents) into one,
    copy-on-write like ``update``."""
    started = time.perf_counter()
    report = IngestReport()
    _must_exist(store, "nothing to optimize")
    with WriteTransaction(store, "optimize", lock_timeout=lock_timeout, started=started) as txn:
        if txn.served is None:
            raise NoIndexToChange(f"no index at {store.root}; nothing to optimize")
        ix = txn.link()
        before = len(ix._segments())
        documents = ix.doc_count()
        if before <= 1 and ix.doc_count_all() == documents:
            return _result(txn.served, 0, report, started, False,
                           "already one segment without deleted documents; nothing to do",
                           ExitCode.OK, documents=documents, segments=before, segments_before=before)
        txn.writer(procs=1)
        try:
            count, segments = txn.commit(documents, optimize=True)
        except VerificationFailed as exc:
            return _result(None, 0, report, started, False,
                           f"verification failed: {exc.count} documents after merging, {documents} "
                           f"before; {UNCHANGED}", ExitCode.NOTHING_INDEXED)
        compact = txn.publish({"parent": txn.served, "documents": count, "segments": segments},
                              log={"segments_before": before, "segments": segments})
    return _result(txn.name, 0, report, started, True, documents=count, segments=segments,
                   segments_before=before, **compact)


def rollback(store: IndexStore, *, lock_timeout: float = 30.0) -> str:
    """Serve the previous generation again (under the write lock); returns its name."""
    _must_exist(store, "nothing to roll back to")
    with store.write_lock(timeout=lock_timeout, what="rollback"):
        prev = store.previous()
        if prev and store.path(prev).is_dir():
            try:
                verify(store.path(prev))        # never switch to a generation that cannot be opened
            except Exception as exc:            # noqa: BLE001 — any failure to open
                raise NoIndexToChange(f"the previous generation {prev} cannot be opened either "
                                      f"({describe_error(exc)}); run `kgsearch reindex SOURCE...`") from None
        try:
            return store.rollback()
        except FileNotFoundError as exc:
            raise NoIndexToChange(str(exc)) from None
        except GenerationUnusable as exc:
            raise NoIndexToChange(f"the previous generation {exc.name} cannot be opened either "
                                  f"({exc.reason}); run `kgsearch reindex SOURCE...`") from None
