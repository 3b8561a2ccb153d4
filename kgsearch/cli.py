"""``kgsearch``: the command line on top of indexer/, search/ and web/ — options parsed here
(their defaults and help from ``kgsearch.settings``), the work done by the layers below, the
printing in ``kgsearch.output``, serving in ``kgsearch.server``.

Writing commands: ``reindex`` (full rebuild, atomic switch), ``add`` (upsert by
id), ``delete``, ``optimize`` (merge segments), ``rollback``; all of them take
the one write lock and switch ``CURRENT`` atomically, so ``serve`` never stops.

Exit codes (``indexer.store.ExitCode``): 0 success (also "no changes") · 1 nothing
could be indexed / no index / not found / nothing to roll back to · 2 bad usage or a bad
filter value · 3 ``--strict`` and the input had errors (the served index is unchanged) ·
4 another run holds the write lock (waited ``--lock-timeout`` s) · 5 ``add`` to an index
built with another analyzer version (run ``reindex``) · 6 ``reindex`` would keep under half
of the served documents (``--allow-shrink``) · 7 the system refused: a read-only or full
disk, no permission, ``serve``'s port in use · 8 the served generation cannot be opened
(``rollback`` or ``reindex``) · 130 a writing command interrupted (Ctrl-C; the served index
is unchanged).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from pathlib import Path

import click

from indexer.lang import DATA_DIR
from indexer.store import ExitCode, GenerationUnusable, IndexLocked, IndexStore, describe_error, display_path
from kgsearch.output import Progress, echo_json, fail, print_search, print_stats, reader_may_leave
from kgsearch.settings import Settings
from kgsearch.settings import current as current_settings

DEFAULT_SOURCE = DATA_DIR   # data/ of the checkout, or the installed package data
SETTINGS = current_settings()


def setting_option(name: str, *decls, **kw):
    """An option whose default and help are the setting ``name``'s (its environment variable
    named in the help, the default shown as the environment makes it)."""
    kw.setdefault("show_default", getattr(SETTINGS, name) is not None)
    return click.option(*decls, name, default=getattr(SETTINGS, name), help=Settings.help(name), **kw)

def filter_options(fn):
    """The filters and the sort that `search` and `export` share: ``--from``/``--to``, one
    repeatable option per value facet of the field registry (``indexer/fields.py``: ``--district``,
    ``--oblast``, ``--topic``…) and ``--sort``.  The command gets them read as one ``filters``
    (``search.filters.Filters``); a value that is not one of its facet's is a usage error (exit 2)."""
    from indexer.fields import value_facets
    facets = value_facets()

    @functools.wraps(fn)
    def with_filters(*args, date_from, date_to, **kwargs):
        from search.filters import InvalidFilter, make_filters
        values = {f.plural: kwargs.pop(f.plural) for f in facets}
        try:
            filters = make_filters(date_from, date_to, **values)
        except InvalidFilter as exc:
            raise click.BadParameter(str(exc)) from None
        return fn(*args, filters=filters, **kwargs)

    for option in reversed([
        click.option("--from", "date_from", help="From this date (2025, 2025-03, 2025-03-14, 10.12.2025…)."),
        click.option("--to", "date_to", help="Up to this date, inclusive."),
        *(click.option(f"--{f.name}", f.plural, multiple=True, help=f.help) for f in facets),
        click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default=None,
                     help="Default: relevance with a query, newest without."),
    ]):
        with_filters = option(with_filters)
    return with_filters


index_option = click.option(
    "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default=SETTINGS.index,
    help=Settings.help("index"))


def _engine(index_dir):
    from search.engine import IndexUnavailable, NoIndex, SearchEngine
    engine = SearchEngine(index_dir)
    try:
        engine.state()
    except IndexUnavailable as exc:
        click.echo(f"kgsearch: {exc}", err=True)
        sys.exit(ExitCode.UNUSABLE)
    except NoIndex as exc:
        click.echo(f"kgsearch: {exc}", err=True)
        sys.exit(ExitCode.NOTHING_INDEXED)
    return engine


def _store(index_dir, lock_timeout: float) -> IndexStore:
    """The index store; on a terminal, say so when waiting for another writer."""
    store = IndexStore(index_dir)
    if sys.stderr.isatty() and lock_timeout > 0:
        store.on_wait = lambda holder: click.echo(
            f"kgsearch: waiting up to {lock_timeout:g} s for the write lock ({holder})", err=True)
    return store


def _locked(progress: Progress | None, exc, as_json: bool = False) -> None:
    fail(exc, ExitCode.LOCKED, as_json, progress)


_ENV_HINTS = {
    errno.ENOSPC: "free some space, then run it again",
    errno.EDQUOT: "the disk quota is used up; free some space, then run it again",
    errno.EROFS: "the file system is mounted read-only; use an --index folder on a writable one",
    errno.EACCES: "check the permissions of the index folder (or run as its owner)",
    errno.EPERM: "check the permissions of the index folder (or run as its owner)",
}


def _environment(exc: OSError, store: IndexStore, served_before: str | None) -> str:
    """One line for a write the system refused: what, where, what became of the index, what to do."""
    try:
        now = store.current()
    except (OSError, ValueError):
        now = served_before
    outcome = ("the served index is unchanged and nothing half-built is left"
               if now == served_before else f"generation {now} is served, but cleaning up failed")
    hint = _ENV_HINTS.get(exc.errno)
    name = os.fsdecode(exc.filename) if exc.filename else None
    root = os.path.abspath(store.root)
    if name and os.path.abspath(name) != root and not os.path.abspath(name).startswith(root + os.sep):
        what, hint = f"stopped reading {display_path(name)}", None     # not the index: a source
    else:
        what = f"cannot write the index at {display_path(store.root)}"
    return f"{what}: {describe_error(exc)}; {outcome}" + (f"; {hint}" if hint else "")


def _write(fn, store: IndexStore, *args, as_json: bool = False, **kwargs):
    """Run a writing operation; a held lock, a missing or unusable index, or a write the system
    refused (full or read-only disk) ends the command with one line and its exit code (closing
    the progress bar, if ``kwargs`` pass one to ``fn``)."""
    from indexer.update import NoIndexToChange
    bar = kwargs.get("progress")
    try:
        served_before = store.current()
    except (OSError, ValueError):
        served_before = None
    try:
        return fn(store, *args, **kwargs)
    except IndexLocked as exc:
        _locked(bar, exc, as_json)
    except NoIndexToChange as exc:
        fail(exc, ExitCode.NOTHING_INDEXED, as_json, bar)
    except GenerationUnusable as exc:
        fail(exc, ExitCode.UNUSABLE, as_json, bar)
    except OSError as exc:
        fail(_environment(exc, store, served_before), ExitCode.ENVIRONMENT, as_json, bar)
    except KeyboardInterrupt:
        fail(_interrupted(store, served_before), ExitCode.INTERRUPTED, as_json, bar)


def _interrupted(store: IndexStore, served_before: str | None) -> str:
    """The one line of a writing command stopped by Ctrl-C (the transaction has already removed
    its half-built generation and released the lock)."""
    try:
        now = store.current()
    except (OSError, ValueError):
        now = served_before
    if now == served_before:
        return "interrupted; the served index is unchanged"
    return f"interrupted after the switch; generation {now} is served"


# `kgsearch search коррупция -пара`: a word after a minus is a query word (NOT), not an option
QUERY_WORDS = {"ignore_unknown_options": True}


def _query_words(ctx, param, words):
    """The query's words; a mistyped long option (``--limt``) is still an error, not a word."""
    for word in words:
        if word.startswith("--") and len(word) > 2:
            raise click.NoSuchOption(word.split("=", 1)[0], ctx=ctx)
    return words


json_option = click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
lock_timeout_option = setting_option("lock_timeout", "--lock-timeout", type=click.FloatRange(0))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kgsearch")
def main():
    """Search Kyrgyz-language news about corruption."""
    for stream in (sys.stdout, sys.stderr):       # a file name that is not UTF-8 never kills a run
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    for name, why in SETTINGS.problems.items():
        if name != "max_body":                    # the ingestion reports that one, as a problem of the run
            click.echo(f"kgsearch: warning: {why}", err=True)


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--strict", is_flag=True, help="Fail (exit 3) on any input error; the served index stays as it was.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@lock_timeout_option
@click.option("--procs", type=click.IntRange(1, 64), default=None,
              help="Indexing processes (default: 2 with --multisegment for 2000+ documents "
                   "on 2+ cores, else 1).")
@click.option("--multisegment/--single-segment", default=None,
              help="With --procs > 1: keep one segment per process instead of merging "
                   "(default: multisegment; `kgsearch optimize` merges later).")
@click.option("--allow-shrink", is_flag=True,
              help="Publish even when the new index keeps under half of the served documents "
                   "(without it such a rebuild is refused, exit 6).")
def reindex(sources, index_dir, strict, quiet, as_json, lock_timeout, procs, multisegment, allow_shrink):
    """Rebuild the index from SOURCES (files or folders) and switch to it.

    Without SOURCES: the sources recorded in the served generation's manifest (a brand-new
    index: data/)."""
    from indexer.build import rebuild
    store = _store(index_dir, lock_timeout)
    history = None
    if sources:
        sources = [str(s) for s in sources]
    else:
        sources, history = _recorded_sources(store, as_json)
    progress = Progress(not quiet and not as_json, "indexing")
    result = _write(rebuild, store, sources, strict=strict, on_problem=lambda p: progress.write(str(p)),
                    progress=progress, on_total=progress.set_total, lock_timeout=lock_timeout,
                    procs=procs, multisegment=multisegment, allow_shrink=allow_shrink, as_json=as_json,
                    history=history)
    progress.close()
    summary = result.summary()
    summary["sources"] = sources
    if as_json:
        echo_json(summary)
    else:
        rate = f", {summary['docs_per_second']} docs/s" if summary["docs_per_second"] else ""
        click.echo(f"indexed {summary['indexed']} · skipped {summary['skipped']} · "
                   f"warnings {summary['warnings']} · {summary['seconds']} s{rate}", err=True)
        _report_ignored(summary)
        if summary.get("replaced") or summary.get("kept_deleted"):
            click.echo(f"kgsearch: as served: {summary.get('replaced', 0)} document(s) taken from a later "
                       f"`add` than their first source, {summary.get('kept_deleted', 0)} deleted "
                       "document(s) kept out", err=True)
        if result.published:
            click.echo(f"serving generation {result.generation} from {store.root}", err=True)
        else:
            click.echo(f"kgsearch: {result.reason}", err=True)
    sys.exit(result.exit_code)


def _recorded_sources(store: IndexStore, as_json: bool) -> tuple[list[str], list[dict] | None]:
    """What ``reindex`` without SOURCE rebuilds from: the served generation's recorded
    sources, printed, and its recorded history (``indexer/history.py``: the ``add``s and
    ``delete``s replayed as they were served); ``data/`` only for a brand-new index."""
    from indexer import history as recorded_history
    try:
        current = store.current()
    except (OSError, ValueError) as exc:
        fail(f"cannot read the index at {display_path(store.root)}: {describe_error(exc)}",
              ExitCode.ENVIRONMENT, as_json)
    if current is None:
        click.echo(f"kgsearch: a new index: indexing {display_path(DEFAULT_SOURCE)} "
                   "(name other sources: `kgsearch reindex SOURCE...`)", err=True)
        return [str(DEFAULT_SOURCE)], None
    try:
        manifest = store.read_manifest(current)   # GenerationUnusable also for a wrong field type
    except GenerationUnusable as exc:
        fail(f"cannot tell which sources the served generation {current} was built from "
              f"({exc.reason}); name them: `kgsearch reindex SOURCE...`"
              + (f", or serve {exc.previous} again: `kgsearch rollback`" if exc.previous else ""),
              ExitCode.UNUSABLE, as_json)
    steps = recorded_history.recorded(manifest)
    recorded = recorded_history.all_sources(steps)
    if not recorded:
        fail(f"the served generation {current} records no sources; name them: "
              "`kgsearch reindex SOURCE...`", ExitCode.USAGE, as_json)
    replay = (f" (replaying its history: {recorded_history.describe(steps)})"
              if len(steps) > 1 else "")
    click.echo(f"kgsearch: rebuilding from the sources recorded in generation {current}: "
               + ", ".join(display_path(s) for s in recorded) + replay, err=True)
    return recorded, steps


def _report_ignored(summary: dict) -> None:
    """The files of the named folders that were not read (not a document format), on stderr."""
    n = summary.get("ignored_files") or 0
    if n:
        from indexer.ingest import SUPPORTED_SUFFIXES
        shown = ", ".join(summary.get("ignored_examples") or [])
        click.echo(f"kgsearch: {n} file(s) in the folders not read (only {' '.join(sorted(SUPPORTED_SUFFIXES))} "
                   f"are documents): {shown}{', …' if n > len(summary.get('ignored_examples') or []) else ''}",
                   err=True)


def _report_change(result, store, as_json) -> None:
    summary = result.summary()
    if as_json:
        echo_json(summary)
    else:
        line = " · ".join(f"{k} {summary[k]}" for k in ("added", "updated", "unchanged", "deleted")
                          if k in summary)
        if summary.get("not_found"):
            click.echo(f"kgsearch: not in the index: {', '.join(summary['not_found'])}", err=True)
        click.echo(f"{line} · skipped {summary['skipped']} · warnings {summary['warnings']} · "
                   f"{summary['seconds']} s", err=True)
        _report_ignored(summary)
        if result.published:
            click.echo(f"serving generation {result.generation} ({summary.get('documents')} documents) "
                       f"from {store.root}", err=True)
        else:
            click.echo(f"kgsearch: {result.reason}", err=True)
    sys.exit(result.exit_code)


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--strict", is_flag=True, help="Fail (exit 3) on any input error; the served index stays as it was.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@lock_timeout_option
def add(sources, index_dir, strict, quiet, as_json, lock_timeout):
    """Add or update the documents of SOURCES (upsert by id; unchanged ones are skipped)."""
    from indexer.update import update
    store = _store(index_dir, lock_timeout)
    progress = Progress(not quiet and not as_json, "adding")
    result = _write(update, store, [str(s) for s in sources], strict=strict,
                    on_problem=lambda p: progress.write(str(p)), progress=progress,
                    on_total=progress.set_total, lock_timeout=lock_timeout, as_json=as_json)
    progress.close()
    _report_change(result, store, as_json)


@main.command()
@click.argument("ids", nargs=-1, required=True)
@index_option
@json_option
@lock_timeout_option
def delete(ids, index_dir, as_json, lock_timeout):
    """Delete documents by ID (`-` reads ids from stdin, one a line), in one batch."""
    from indexer.update import update
    wanted = []
    for i in ids:
        wanted += [line.strip() for line in sys.stdin] if i == "-" else [i]
    store = _store(index_dir, lock_timeout)
    result = _write(update, store, (), wanted, lock_timeout=lock_timeout, as_json=as_json)
    _report_change(result, store, as_json)


@main.command()
@index_option
@json_option
@lock_timeout_option
def optimize(index_dir, as_json, lock_timeout):
    """Merge the index's segments into one (a new generation, switched atomically)."""
    from indexer.update import optimize as do_optimize
    store = _store(index_dir, lock_timeout)
    result = _write(do_optimize, store, lock_timeout=lock_timeout, as_json=as_json)
    summary = result.summary()
    if as_json:
        echo_json(summary)
    elif result.published:
        click.echo(f"merged {summary['segments_before']} segments into {summary['segments']} · "
                   f"{summary['documents']} documents · {summary['seconds']} s; serving generation "
                   f"{result.generation}", err=True)
    else:
        click.echo(f"kgsearch: {result.reason}", err=True)
    sys.exit(result.exit_code)


@main.command()
@index_option
@json_option
@lock_timeout_option
def rollback(index_dir, as_json, lock_timeout):
    """Serve the previous generation again (the one before the last reindex/add/delete)."""
    from indexer.update import rollback as do_rollback
    store = _store(index_dir, lock_timeout)
    try:
        before = store.current()
    except (OSError, ValueError) as exc:
        fail(f"cannot read the index at {display_path(store.root)}: {describe_error(exc)}",
              ExitCode.ENVIRONMENT, as_json)
    name = _write(do_rollback, store, lock_timeout=lock_timeout, as_json=as_json)
    manifest = store.manifest(name)
    if as_json:
        echo_json({"generation": name, "previous": before, "documents": manifest.get("documents"),
                    "built_at": manifest.get("built_at"), "updated_at": manifest.get("updated_at")})
    else:
        click.echo(f"serving generation {name} again ({manifest.get('documents')} documents, "
                   f"built {manifest.get('built_at')}); `kgsearch rollback` returns to {before}", err=True)


@main.command(context_settings=QUERY_WORDS)
@click.argument("query", nargs=-1, type=click.UNPROCESSED, callback=_query_words)
@index_option
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search(query, index_dir, limit, page, filters, sort, as_json):
    """Search the index and print ranked hits."""
    from search.response import search_response
    engine = _engine(index_dir)
    result = engine.search(" ".join(query), page=page, per_page=limit, filters=filters, sort=sort)
    response = search_response(result, filters)      # the shape of GET /api/search
    with reader_may_leave():
        if as_json:
            echo_json(response)
        else:
            print_search(response)


@main.command()
@index_option
@setting_option("host", "--host")
@setting_option("port", "--port", type=click.IntRange(0, 65535))
@setting_option("threads", "--threads", type=click.IntRange(1, 64))
@setting_option("workers", "--workers", type=click.IntRange(1, 64))
@setting_option("connection_limit", "--connection-limit", type=click.IntRange(1, 100_000))
@setting_option("channel_timeout", "--channel-timeout", type=click.IntRange(1, 3600))
@setting_option("max_header_bytes", "--max-header-bytes", type=click.IntRange(1024))
@setting_option("max_body_bytes", "--max-body-bytes", type=click.IntRange(0))
@setting_option("access_log", "--access-log/--no-access-log")
@setting_option("log_format", "--log-format", type=click.Choice(Settings.choices("log_format")))
@setting_option("log_queries", "--log-queries", is_flag=True, show_default=False)
def serve(index_dir, **options):
    """Serve the web UI and the JSON API with waitress."""
    from kgsearch.server import serve as run
    run(index_dir, SETTINGS.replace(**options))


@main.command()
@index_option
@click.option("--json", "as_json", is_flag=True)
def stats(index_dir, as_json):
    """Documents, date range, places, size and generation of the index."""
    engine = _engine(index_dir)
    s = engine.stats()
    manifest = engine.store.manifest(s["generation"])
    s.setdefault("previous_generation", engine.store.previous())
    for key in ("updated_at", "segments", "kind"):
        s.setdefault(key, manifest.get(key))
    s.setdefault("last_update", (manifest.get("updates") or [None])[-1])
    if as_json:
        echo_json(s)
    else:
        print_stats(s)


@main.command(context_settings=QUERY_WORDS)
@click.argument("query", nargs=-1, type=click.UNPROCESSED, callback=_query_words)
@index_option
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True,
              help="csv: UTF-8 with a byte-order mark, for spreadsheets; jsonl: one JSON object a line.")
@click.option("--fields", multiple=True, type=click.Choice(["body"]),
              help="Extra fields: body (the whole article text).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def export(query, index_dir, filters, sort, fmt, fields, output, quiet):
    """Write EVERY match of QUERY and the filters (what `search` counts as found), in the sort
    order, as CSV or JSON Lines — the same rows as GET /api/export."""
    from tqdm import tqdm

    from web.export import csv_rows, export_columns, jsonl_rows
    columns = export_columns(fields)
    total, rows = _engine(index_dir).matches(
        " ".join(query), filters, sort, body="body" in columns,
        on_corrected=lambda fixed: click.echo(f"kgsearch: nothing for {' '.join(query)!r}; "
                                              f"exported instead: {fixed}", err=True))
    show = not quiet and sys.stderr.isatty() and (output is not None or not sys.stdout.isatty())
    bar = tqdm(total=total, unit=" rows", disable=not show, file=sys.stderr)

    def counted(rows):
        for row in rows:
            yield row
            bar.update(1)
    lines = (csv_rows if fmt == "csv" else jsonl_rows)(counted(rows), columns)
    sys.stdout.flush()
    try:
        with reader_may_leave(bar.close), (open(output, "w", encoding="utf-8", newline="") if output
                                           else open(sys.stdout.fileno(), "w", encoding="utf-8", newline="",
                                                     closefd=False)) as fh:
            for piece in lines:
                fh.write(piece)
    except OSError as exc:
        bar.close()
        click.echo(f"kgsearch: cannot write {display_path(output) if output else 'the output'}: "
                   f"{describe_error(exc)}", err=True)
        sys.exit(ExitCode.ENVIRONMENT)
    bar.close()
    if output is not None and not quiet:
        click.echo(f"{total} rows written to {display_path(output)}", err=True)


if __name__ == "__main__":
    main()
