"""Index writing: a full rebuild into a new generation, verified, then switched in atomically."""
from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from whoosh import index as whoosh_index

from indexer.analysis import ANALYZER_VERSION
from indexer.documents import Problem
from indexer.ingest import IngestReport, Ingestor
from indexer.schema import date_to_int, make_schema, to_fields
from indexer.store import IndexStore

# Exit codes of the writing commands (documented in the README).
EXIT_OK = 0
EXIT_NOTHING_INDEXED = 1
EXIT_STRICT = 3
EXIT_LOCKED = 4


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


def rebuild(
    store: IndexStore,
    sources: Sequence[str],
    *,
    strict: bool = False,
    on_problem: Callable[[Problem], None] | None = None,
    progress: Callable[[int], None] | None = None,
    lock_timeout: float = 30.0,
    limitmb: int = 256,
) -> BuildResult:
    """Index ``sources`` into a new generation; publish it unless nothing (or, with
    ``strict``, anything bad) was found.  The served generation is untouched on failure."""
    started = time.perf_counter()
    with store.write_lock(timeout=lock_timeout, what="reindex"):
        store.prune()  # half-built generations of killed runs
        name, path = store.new_generation()
        ix = whoosh_index.create_in(str(path), make_schema())
        writer = ix.writer(limitmb=limitmb)
        ingestor = Ingestor(on_problem=on_problem)
        first = last = 0
        indexed = 0
        try:
            for doc in ingestor.documents(sources):
                writer.add_document(**to_fields(doc))
                indexed += 1
                if doc.date:
                    d = date_to_int(doc.date)
                    first = min(first, d) if first else d
                    last = max(last, d)
                if progress:
                    progress(1)
        except BaseException:
            writer.cancel()
            shutil.rmtree(path, ignore_errors=True)
            raise
        report = ingestor.report

        def fail(reason: str, code: int) -> BuildResult:
            writer.cancel()
            shutil.rmtree(path, ignore_errors=True)
            return BuildResult(None, indexed, report, time.perf_counter() - started,
                               published=False, reason=reason, exit_code=code)

        if strict and report.errors:
            return fail(f"--strict: {len(report.errors)} error(s) in the input; "
                        "the served index is unchanged", EXIT_STRICT)
        if indexed == 0:
            return fail("nothing could be indexed; the served index is unchanged", EXIT_NOTHING_INDEXED)
        writer.commit()
        # Verify before switching: the new generation opens and holds every document.
        with whoosh_index.open_dir(str(path)).searcher() as searcher:
            count = searcher.doc_count()
        if count != indexed:
            return fail(f"verification failed: {count} documents in the new index, "
                        f"{indexed} written", EXIT_NOTHING_INDEXED)
        store.write_manifest(name, {
            "generation": name,
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "sources": [str(s) for s in sources],
            "documents": indexed,
            "date_range": [first, last],
            "analyzer_version": ANALYZER_VERSION,
        })
        store.publish(name)
    return BuildResult(name, indexed, report, time.perf_counter() - started, published=True)
