"""``kgsearch``: the command line on top of indexer/, search/ and web/.

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
(``rollback`` or ``reindex``).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import sys
from pathlib import Path

import click

from indexer.lang import DATA_DIR
from indexer.store import (
    ExitCode, GenerationUnusable, IndexLocked, IndexStore, describe_error, die_with_parent, display_path,
)

DEFAULT_SOURCE = DATA_DIR   # data/ of the checkout, or the installed package data

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
    "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    envvar="KGSEARCH_INDEX", show_envvar=True,
    help="Index folder (default: ./var/index under the current directory).")


def _echo_json(obj) -> None:
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:            # a path that is not UTF-8: \udcXX escapes, still JSON
        text = json.dumps(obj, ensure_ascii=True, indent=2)
    click.echo(text)


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


class Progress:
    """A progress bar (documents/s, ETA once the total is known) on a terminal;
    silent when stderr is not a terminal or with ``--quiet``/``--json``."""

    def __init__(self, enabled: bool, desc: str):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm
            try:
                sized = os.get_terminal_size(sys.stderr.fileno()).columns > 0
            except OSError:
                sized = False
            self.bar = tqdm(desc=desc, unit=" docs", file=sys.stderr, smoothing=0.1,
                            dynamic_ncols=sized, ncols=None if sized else 100)

    def __call__(self, n: int = 1) -> None:
        if self.bar is not None:
            if self.bar.total is not None and self.bar.n + n > self.bar.total:
                self.bar.total = self.bar.n + n   # the count was an estimate
            self.bar.update(n)

    def set_total(self, total: int) -> None:
        """The expected number of documents (a cheap count), for the ETA."""
        if self.bar is not None and total:
            self.bar.total = total
            self.bar.refresh()

    def write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        if self.bar is not None:
            if self.bar.total is not None and self.bar.n < self.bar.total:
                self.bar.total = self.bar.n     # skipped items were counted in the estimate
                self.bar.refresh()
            self.bar.close()
            self.bar = None


def _store(index_dir, lock_timeout: float) -> IndexStore:
    """The index store; on a terminal, say so when waiting for another writer."""
    store = IndexStore(index_dir)
    if sys.stderr.isatty() and lock_timeout > 0:
        store.on_wait = lambda holder: click.echo(
            f"kgsearch: waiting up to {lock_timeout:g} s for the write lock ({holder})", err=True)
    return store


def _fail(exc, code: int, as_json: bool = False, progress: Progress | None = None) -> None:
    """One line on stderr (and with ``--json`` a summary on stdout), then exit ``code``."""
    if progress is not None:
        progress.close()
    click.echo(f"kgsearch: {exc}", err=True)
    if as_json:
        _echo_json({"published": False, "exit_code": code, "reason": str(exc)})
    sys.exit(code)


def _locked(progress: Progress | None, exc, as_json: bool = False) -> None:
    _fail(exc, ExitCode.LOCKED, as_json, progress)


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
        _fail(exc, ExitCode.NOTHING_INDEXED, as_json, bar)
    except GenerationUnusable as exc:
        _fail(exc, ExitCode.UNUSABLE, as_json, bar)
    except OSError as exc:
        _fail(_environment(exc, store, served_before), ExitCode.ENVIRONMENT, as_json, bar)


lock_timeout_option = click.option(
    "--lock-timeout", type=click.FloatRange(0), default=30.0, show_default=True,
    help="Seconds to wait for another writer before giving up (exit 4).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kgsearch")
def main():
    """Search Kyrgyz-language news about corruption."""
    for stream in (sys.stdout, sys.stderr):       # a file name that is not UTF-8 never kills a run
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--strict", is_flag=True, help="Fail (exit 3) on any input error; the served index stays as it was.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
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
    sources = [str(s) for s in sources] or _recorded_sources(store, as_json)
    progress = Progress(not quiet and not as_json, "indexing")
    result = _write(rebuild, store, sources, strict=strict, on_problem=lambda p: progress.write(str(p)),
                    progress=progress, on_total=progress.set_total, lock_timeout=lock_timeout,
                    procs=procs, multisegment=multisegment, allow_shrink=allow_shrink, as_json=as_json)
    progress.close()
    summary = result.summary()
    summary["sources"] = sources
    if as_json:
        _echo_json(summary)
    else:
        rate = f", {summary['docs_per_second']} docs/s" if summary["docs_per_second"] else ""
        click.echo(f"indexed {summary['indexed']} · skipped {summary['skipped']} · "
                   f"warnings {summary['warnings']} · {summary['seconds']} s{rate}", err=True)
        if result.published:
            click.echo(f"serving generation {result.generation} from {store.root}", err=True)
        else:
            click.echo(f"kgsearch: {result.reason}", err=True)
    sys.exit(result.exit_code)


def _recorded_sources(store: IndexStore, as_json: bool) -> list[str]:
    """What ``reindex`` without SOURCE rebuilds from: the served generation's recorded
    sources, printed; ``data/`` only for a brand-new index."""
    try:
        current = store.current()
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the index at {display_path(store.root)}: {describe_error(exc)}",
              ExitCode.ENVIRONMENT, as_json)
    if current is None:
        click.echo(f"kgsearch: a new index: indexing {display_path(DEFAULT_SOURCE)} "
                   "(name other sources: `kgsearch reindex SOURCE...`)", err=True)
        return [str(DEFAULT_SOURCE)]
    try:
        recorded = store.read_manifest(current).get("sources") or []
    except GenerationUnusable as exc:
        _fail(f"cannot tell which sources the served generation {current} was built from "
              f"({exc.reason}); name them: `kgsearch reindex SOURCE...`"
              + (f", or serve {exc.previous} again: `kgsearch rollback`" if exc.previous else ""),
              ExitCode.UNUSABLE, as_json)
    if not recorded or not all(isinstance(s, str) for s in recorded):
        _fail(f"the served generation {current} records no sources; name them: "
              "`kgsearch reindex SOURCE...`", ExitCode.USAGE, as_json)
    click.echo(f"kgsearch: rebuilding from the sources recorded in generation {current}: "
               + ", ".join(display_path(s) for s in recorded), err=True)
    return list(recorded)


def _report_change(result, store, as_json) -> None:
    summary = result.summary()
    if as_json:
        _echo_json(summary)
    else:
        line = " · ".join(f"{k} {summary[k]}" for k in ("added", "updated", "unchanged", "deleted")
                          if k in summary)
        if summary.get("not_found"):
            click.echo(f"kgsearch: not in the index: {', '.join(summary['not_found'])}", err=True)
        click.echo(f"{line} · skipped {summary['skipped']} · warnings {summary['warnings']} · "
                   f"{summary['seconds']} s", err=True)
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
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
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
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
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
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@lock_timeout_option
def optimize(index_dir, as_json, lock_timeout):
    """Merge the index's segments into one (a new generation, switched atomically)."""
    from indexer.update import optimize as do_optimize
    store = _store(index_dir, lock_timeout)
    result = _write(do_optimize, store, lock_timeout=lock_timeout, as_json=as_json)
    summary = result.summary()
    if as_json:
        _echo_json(summary)
    elif result.published:
        click.echo(f"merged {summary['segments_before']} segments into {summary['segments']} · "
                   f"{summary['documents']} documents · {summary['seconds']} s; serving generation "
                   f"{result.generation}", err=True)
    else:
        click.echo(f"kgsearch: {result.reason}", err=True)
    sys.exit(result.exit_code)


@main.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@lock_timeout_option
def rollback(index_dir, as_json, lock_timeout):
    """Serve the previous generation again (the one before the last reindex/add/delete)."""
    from indexer.update import rollback as do_rollback
    store = _store(index_dir, lock_timeout)
    try:
        before = store.current()
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the index at {display_path(store.root)}: {describe_error(exc)}",
              ExitCode.ENVIRONMENT, as_json)
    name = _write(do_rollback, store, lock_timeout=lock_timeout, as_json=as_json)
    manifest = store.manifest(name)
    if as_json:
        _echo_json({"generation": name, "previous": before, "documents": manifest.get("documents"),
                    "built_at": manifest.get("built_at"), "updated_at": manifest.get("updated_at")})
    else:
        click.echo(f"serving generation {name} again ({manifest.get('documents')} documents, "
                   f"built {manifest.get('built_at')}); `kgsearch rollback` returns to {before}", err=True)


@main.command()
@click.argument("query", nargs=-1)
@index_option
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search(query, index_dir, limit, page, filters, sort, as_json):
    """Search the index and print ranked hits."""
    from search.highlight import strip_marks
    engine = _engine(index_dir)
    result = engine.search(" ".join(query), page=page, per_page=limit, filters=filters, sort=sort)
    if as_json:
        _echo_json(result)
        return
    click.echo(f"{result['total']} found · page {result['page']} of {max(result['pages'], 1)} · "
               f"{result['took_ms']} ms")
    if result.get("corrected_from"):      # query expansion (search/expand.py)
        click.echo(f"nothing for {result['corrected_from']!r}; searched instead: {result['did_you_mean']}")
    elif result.get("did_you_mean"):
        click.echo(f"did you mean: {result['did_you_mean']}")
    for e in result.get("expansions", []):
        click.echo(f"also searched ({e['kind']}): {e['from']} → {', '.join(e['to'])}")
    for n, hit in enumerate(result["hits"], start=(page - 1) * limit + 1):
        click.echo()
        click.echo(click.style(f"{n}. {hit['title']}", bold=True))
        meta = [hit["date"] or "no date", hit["id"]]
        if hit["score"] is not None:
            meta.append(f"score {hit['score']:.2f}")
        click.echo("   " + " · ".join(meta))
        click.echo("   " + strip_marks(hit["snippet"], lambda s: click.style(s, fg="yellow", bold=True)))


def _waitress_options(threads, connection_limit, channel_timeout, max_header_bytes, max_body_bytes) -> dict:
    """Waitress's adjustments for ``serve``: idle and half-sent connections are closed after
    ``channel_timeout`` s (checked every ``cleanup_interval`` s), oversized headers get 431 and
    bodies 413 before anything is read, poll() instead of select() so more than 1024 open
    connections work."""
    return {"threads": threads, "connection_limit": connection_limit,
            "channel_timeout": channel_timeout,
            "cleanup_interval": max(1, min(30, channel_timeout // 2)),
            "max_request_header_size": max_header_bytes, "max_request_body_size": max_body_bytes,
            "asyncore_use_poll": True, "ident": "kgsearch"}


def _raise_file_limit(connection_limit: int) -> None:
    """Room for ``connection_limit`` sockets plus the index files (soft limit up to the hard one)."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = connection_limit + 256
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    except (ImportError, OSError, ValueError):
        pass


def _cannot_listen(host: str, port: int, exc: OSError) -> None:
    """One line for a socket that cannot be bound, then exit 7 (never "Serving on…" first)."""
    import socket
    if exc.errno == errno.EADDRINUSE:
        why = f"port {port} is in use (another `kgsearch serve`?); stop it or choose another --port"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied (ports below 1024 need privileges); choose another --port"
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = f"{host} is not an address of this machine; check --host"
    elif isinstance(exc, socket.gaierror):
        why = f"cannot resolve host {host!r} ({exc.strerror}); check --host"
    else:
        why = describe_error(exc)
    _fail(f"cannot listen on {host}:{port}: {why}", ExitCode.ENVIRONMENT)


@main.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Request threads per process (a thread is taken only by a fully received request).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Serving processes sharing the listening socket, each with its own searcher and "
                   "caches.")
@click.option("--connection-limit", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Open connections per process; beyond it new ones wait in the listen backlog.")
@click.option("--channel-timeout", type=click.IntRange(1, 3600), default=30, show_default=True,
              help="Seconds an idle or half-sent connection is kept open.")
@click.option("--max-header-bytes", type=click.IntRange(1024), default=32 * 1024, show_default=True,
              help="Largest request line + headers (larger: 431).")
@click.option("--max-body-bytes", type=click.IntRange(0), default=64 * 1024, show_default=True,
              help="Largest request body; the UI and API only take GET (larger: 413).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="A log line per request on stderr: method, path, status, duration (no query text).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines as text or as one JSON object per line.")
@click.option("--log-queries", is_flag=True, help="Also log each request's query string (searches can be sensitive).")
def serve(index_dir, host, port, threads, workers, connection_limit, channel_timeout,
          max_header_bytes, max_body_bytes, access_log, log_format, log_queries):
    """Serve the web UI and the JSON API with waitress."""
    import logging

    import waitress
    from search.engine import NoIndex, SearchEngine
    from web import create_app
    options = _waitress_options(threads, connection_limit, channel_timeout, max_header_bytes,
                                max_body_bytes)
    _raise_file_limit(connection_limit)
    engine = SearchEngine(index_dir)
    try:
        stats = engine.stats()
        if stats["reindex_needed"]:
            click.echo(f"kgsearch: reindex needed: {stats['reindex_reason']}: run `kgsearch reindex` "
                       "(without SOURCE it rebuilds from the recorded sources)",
                       err=True)
    except NoIndex as exc:
        click.echo(f"kgsearch: {exc} (serving anyway; pages answer 503 until it is fixed)", err=True)
    web_config = {"ACCESS_LOG": access_log, "LOG_FORMAT": log_format, "LOG_QUERIES": log_queries}
    if workers > 1:
        engine.close()
        _serve_workers(index_dir, engine.store.root, host, port, workers, options, web_config)
        return
    app = create_app({"ENGINE": engine, **web_config})
    logging.basicConfig()
    try:
        server = waitress.create_server(app, host=host, port=port, **options)
    except OSError as exc:
        _cannot_listen(host, port, exc)
    click.echo(f"Serving on http://{host}:{server.effective_port}/ (index "
               f"{display_path(engine.store.root)})", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass


def _serve_workers(index_dir, root, host, port, workers, options, web_config=None) -> None:
    """``workers`` forked waitress processes accepting on one socket the parent bound; the
    parent only supervises: SIGTERM/SIGINT stop them all, a crashed one is restarted, and they
    die with the parent (PR_SET_PDEATHSIG).  ``/metrics`` sums all workers (prometheus-client's
    multiprocess mode, in a temporary folder removed at exit)."""
    import shutil
    import signal
    import socket
    import tempfile
    import time

    try:
        family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(1024)
    except OSError as exc:
        _cannot_listen(host, port, exc)
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kgsearch-metrics-")
    sock.setblocking(False)
    parent = os.getpid()
    stopping = False
    children: dict[int, float] = {}          # pid → start time

    def spawn() -> None:
        pid = os.fork()
        if pid:
            children[pid] = time.monotonic()
            return
        code = 0
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            die_with_parent(parent)
            import logging
            import waitress
            from search.engine import SearchEngine
            logging.basicConfig()
            from web import create_app
            app = create_app({"ENGINE": SearchEngine(index_dir), **(web_config or {})})
            waitress.serve(app, sockets=[sock], _quiet=True, **options)
        except KeyboardInterrupt:
            pass
        except BaseException:                 # noqa: BLE001 — report, never return into click
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        spawn()
    bound = sock.getsockname()
    click.echo(f"Serving on http://{bound[0]}:{bound[1]}/ (index {display_path(root)}, {workers} workers, "
               f"pids {' '.join(map(str, children))})", err=True)
    restarts: list[float] = []
    deadline = None
    while children:
        if stopping and deadline is None:
            deadline = time.monotonic() + 10
        try:
            pid, status = os.waitpid(-1, os.WNOHANG if stopping else 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == 0:                          # stopping: the children are still exiting
            if time.monotonic() > deadline:
                for pid in list(children):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = float("inf")
            time.sleep(0.05)
            continue
        children.pop(pid, None)
        if stopping:
            continue
        now = time.monotonic()
        restarts = [t for t in restarts if now - t < 60] + [now]
        if len(restarts) > 5 * workers:
            click.echo("kgsearch: workers keep exiting; stopping", err=True)
            stop(None, None)
            continue
        click.echo(f"kgsearch: worker {pid} exited (status {status}); restarting it", err=True)
        spawn()
    sock.close()
    if metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)


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
        _echo_json(s)
        return
    click.echo(f"index        {s['index']}")
    click.echo(f"generation   {s['generation']} (built {s['built_at']}"
               + (f", last changed {s['updated_at']} by {s['kind']}"
                  if s.get("updated_at") and s.get("kind") not in (None, "reindex") else "") + ")")
    if s.get("previous_generation"):
        click.echo(f"previous     {s['previous_generation']} (`kgsearch rollback`)")
    click.echo(f"sources      {', '.join(display_path(x) for x in s['sources'])}")
    click.echo(f"documents    {s['documents']} ({s['undated']} without a date)")
    if s["date_range"]:
        click.echo(f"dates        {s['date_range'][0]} … {s['date_range'][1]}")
    click.echo(f"size         {s['index_bytes'] / 1e6:.2f} MB"
               + (f" in {s['segments']} segment(s)" if s.get("segments") else ""))
    last = s.get("last_update")
    if last and last.get("kind") in ("add", "delete"):
        click.echo(f"last update  {last['at']}: {last['kind']} · added {last['added']} · updated "
                   f"{last['updated']} · unchanged {last['unchanged']} · deleted {last['deleted']}")
    click.echo(f"analyzer     {s['analyzer_version']}"
               + (f"  (reindex needed: {s['reindex_reason']}; run `kgsearch reindex`, "
                  "which rebuilds from the sources above)"
                  if s["reindex_needed"] else ""))
    for name, n in s["oblasts"].items():
        click.echo(f"  {name:<22} {n}")


@main.command()
@click.argument("query", nargs=-1)
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
    total, rows = _engine(index_dir).matches(" ".join(query), filters, sort, body="body" in columns)
    show = not quiet and sys.stderr.isatty() and (output is not None or not sys.stdout.isatty())
    bar = tqdm(total=total, unit=" rows", disable=not show, file=sys.stderr)

    def counted(rows):
        for row in rows:
            yield row
            bar.update(1)
    lines = (csv_rows if fmt == "csv" else jsonl_rows)(counted(rows), columns)
    sys.stdout.flush()
    try:
        with (open(output, "w", encoding="utf-8", newline="") if output
              else open(sys.stdout.fileno(), "w", encoding="utf-8", newline="", closefd=False)) as fh:
            for piece in lines:
                fh.write(piece)
    except BrokenPipeError:                       # `kgsearch export … | head`: the reader had enough
        bar.close()
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitCode.OK)
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
