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

import contextlib
import errno
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence

from whoosh import index as whoosh_index
from whoosh.fields import STORED

from indexer.analysis import ANALYZER_VERSION
from indexer.lang import index_dependencies, needs_reindex
from indexer.build import (
    EXIT_NOTHING_INDEXED, EXIT_OK, EXIT_REINDEX_NEEDED, EXIT_STRICT, PAUSE_AT_DOC,
    BuildResult, count_documents, date_range, now_iso, open_writer, verify, write_compact_postings,
)
from indexer.documents import Problem
from indexer.ingest import IngestReport, Ingestor
from indexer.schema import make_schema, to_fields
from indexer.store import GenerationUnusable, IndexStore, checkpoint, describe_error

MAX_UPDATE_LOG = 50


class NoIndexToChange(Exception):
    """``delete``/``optimize``/``rollback`` without a served index."""


def _open_copy(store: IndexStore, current: str):
    """A copy-on-write child of the served generation, opened for writing: (name, path, index).
    ``GenerationUnusable`` when the served generation cannot be opened (nothing is left behind)."""
    store.read_manifest(current)
    name = None
    try:
        name, path = store.link_generation(current)
        return name, path, whoosh_index.open_dir(str(path))
    except BaseException as exc:
        if name is not None:
            store.discard(name)
        if isinstance(exc, OSError) and not store.path(current).is_dir():
            raise GenerationUnusable(current, "its folder is missing", store.rollback_target(current)) from None
        if isinstance(exc, Exception) and not _is_environment(exc):
            raise GenerationUnusable(current, f"its Whoosh files are unreadable: {describe_error(exc)}",
                                     store.rollback_target(current)) from None
        raise


def _is_environment(exc: Exception) -> bool:
    """An ``OSError`` of writing (a full or read-only disk), not a broken served generation."""
    return isinstance(exc, OSError) and exc.errno in (
        errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EMFILE, errno.ENFILE)


def _result(name, indexed, report, started, published, reason="", code=EXIT_OK, **extra) -> BuildResult:
    return BuildResult(name, indexed, report, time.perf_counter() - started, published=published,
                       reason=reason, exit_code=code, extra=extra)


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
    delete_ids = [str(i).strip() for i in delete_ids if str(i).strip()]
    kind = "add" if sources else "delete"
    if on_total and sources:
        on_total(count_documents(sources))
    counts = {"added": 0, "updated": 0, "unchanged": 0, "deleted": 0, "not_found": []}
    ingestor = Ingestor(on_problem=on_problem)
    report: IngestReport = ingestor.report
    with store.write_lock(timeout=lock_timeout, what=kind):
        store.prune()
        current = store.current()
        if current is None and not sources:
            raise NoIndexToChange(f"no index at {store.root}; nothing to delete")
        old_manifest = store.read_manifest(current) if current else {}   # GenerationUnusable
        why = needs_reindex(old_manifest) if sources and current is not None else None
        if why:   # another analyzer version or other data tables
            return _result(current, 0, report, started, False,
                           f"{why}: adding would mix the two; run `kgsearch reindex` "
                           "(without SOURCE it rebuilds from the sources the index records), then add",
                           EXIT_REINDEX_NEEDED, **counts)
        if current is None:
            name, path = store.new_generation()
            try:
                ix = whoosh_index.create_in(str(path), make_schema())
            except BaseException:
                store.discard(name)
                raise
        else:
            name, path, ix = _open_copy(store, current)
        before = ix.doc_count()
        writer = open_writer(ix, procs=1, limitmb=limitmb)
        for fname, ftype in make_schema().items():   # stored-only fields added since the build
            if fname not in writer.schema and type(ftype) is STORED:   # (date_evidence)
                writer.add_field(fname, ftype)

        def discard():
            with contextlib.suppress(Exception):
                writer.cancel()
                ix.close()
            shutil.rmtree(path, ignore_errors=True)

        try:
            searcher = writer.searcher()   # one searcher for every lookup of the batch
            seen = 0
            for doc in ingestor.documents(sources):
                if strict and report.errors:
                    continue   # this run will fail: keep reading only to report every problem
                fields = to_fields(doc)
                docnum = searcher.document_number(id=doc.id)
                if docnum is None:
                    writer.add_document(**fields)
                    counts["added"] += 1
                elif searcher.stored_fields(docnum).get("hash") == fields["hash"]:
                    counts["unchanged"] += 1
                else:
                    writer.delete_document(docnum)
                    writer.add_document(**fields)
                    counts["updated"] += 1
                seen += 1
                if seen == PAUSE_AT_DOC:
                    checkpoint("ingest")
                if progress:
                    progress(1)
            for doc_id in dict.fromkeys(delete_ids):
                docnum = searcher.document_number(id=doc_id)
                if docnum is None:
                    counts["not_found"].append(doc_id)
                else:
                    writer.delete_document(docnum)
                    counts["deleted"] += 1
        except BaseException:
            discard()
            raise
        indexed = counts["added"] + counts["updated"]

        if strict and report.errors:
            discard()
            return _result(None, indexed, report, started, False,
                           f"--strict: {len(report.errors)} error(s) in the input; "
                           "the served index is unchanged", EXIT_STRICT, **counts)
        if sources and report.read == 0:
            discard()
            return _result(None, 0, report, started, False,
                           "nothing could be indexed; the served index is unchanged",
                           EXIT_NOTHING_INDEXED, **counts)
        if indexed == 0 and counts["deleted"] == 0:
            discard()
            return _result(current, 0, report, started, False,
                           "no changes; the served index is unchanged", EXIT_OK,
                           documents=before, **counts)
        try:
            writer.commit()
        except BaseException:
            ix.close()
            shutil.rmtree(path, ignore_errors=True)
            raise
        ix.close()
        expected = before + counts["added"] - counts["deleted"]
        try:
            count, segments = verify(path, expected)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        if count != expected:
            shutil.rmtree(path, ignore_errors=True)
            return _result(None, indexed, report, started, False,
                           f"verification failed: {count} documents in the new index, "
                           f"{expected} expected; the served index is unchanged",
                           EXIT_NOTHING_INDEXED, **counts)
        compact = write_compact_postings(path)
        at = now_iso()
        manifest = dict(old_manifest) if old_manifest else {
            "built_at": at, "sources": [], "analyzer_version": ANALYZER_VERSION, "updates": [],
            **index_dependencies()}
        known = list(manifest.get("sources") or [])
        sources = [os.path.abspath(s) for s in sources]   # recorded so `reindex` can reread them
        manifest.update({
            "generation": name,
            "parent": current,
            "updated_at": at,
            "kind": kind,
            "sources": known + [s for s in sources if s not in known],
            "documents": count,
            "date_range": date_range(path),
            "segments": segments,
            "updates": (list(manifest.get("updates") or []) + [{
                "at": at, "kind": kind, "sources": sources,
                "added": counts["added"], "updated": counts["updated"],
                "unchanged": counts["unchanged"], "deleted": counts["deleted"],
                "skipped": len(report.errors),
            }])[-MAX_UPDATE_LOG:],
        })
        store.write_manifest(name, manifest)
        store.publish(name)
    return _result(name, indexed, report, started, True, documents=count, segments=segments, **counts,
                   **compact)


def optimize(store: IndexStore, *, lock_timeout: float = 30.0) -> BuildResult:
    """Merge the served generation's segments (and drop deleted documents) into one,
    copy-on-write like ``update``."""
    started = time.perf_counter()
    report = IngestReport()
    with store.write_lock(timeout=lock_timeout, what="optimize"):
        store.prune()
        current = store.current()
        if current is None:
            raise NoIndexToChange(f"no index at {store.root}; nothing to optimize")
        name, path, ix = _open_copy(store, current)
        before_segments = len(ix._segments())
        documents = ix.doc_count()
        has_deletions = ix.doc_count_all() != documents
        if before_segments <= 1 and not has_deletions:
            ix.close()
            shutil.rmtree(path, ignore_errors=True)
            return _result(current, 0, report, started, False,
                           "already one segment without deleted documents; nothing to do",
                           EXIT_OK, documents=documents, segments=before_segments,
                           segments_before=before_segments)
        try:
            writer = open_writer(ix, procs=1)
            writer.commit(optimize=True)
        except BaseException:
            ix.close()
            shutil.rmtree(path, ignore_errors=True)
            raise
        ix.close()
        try:
            count, segments = verify(path, documents)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        if count != documents:
            shutil.rmtree(path, ignore_errors=True)
            return _result(None, 0, report, started, False,
                           f"verification failed: {count} documents after merging, {documents} "
                           "before; the served index is unchanged", EXIT_NOTHING_INDEXED)
        manifest = store.read_manifest(current)
        compact = write_compact_postings(path)
        at = now_iso()
        manifest.update({
            "generation": name, "parent": current, "updated_at": at, "kind": "optimize",
            "documents": count, "segments": segments,
            "updates": (list(manifest.get("updates") or []) + [{
                "at": at, "kind": "optimize", "segments_before": before_segments,
                "segments": segments}])[-MAX_UPDATE_LOG:],
        })
        store.write_manifest(name, manifest)
        store.publish(name)
    return _result(name, 0, report, started, True, documents=count, segments=segments,
                   segments_before=before_segments, **compact)


def rollback(store: IndexStore, *, lock_timeout: float = 30.0) -> str:
    """Serve the previous generation again (under the write lock); returns its name."""
    with store.write_lock(timeout=lock_timeout, what="rollback"):
        prev = store.previous()
        if prev and store.path(prev).is_dir():
            try:
                verify(store.path(prev), 0)       # never switch to a generation that cannot be opened
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
