"""``kgsearch``: the command line on top of indexer/, search/ and web/.

Exit codes: 0 success · 1 nothing could be indexed / no index / not found ·
2 bad usage or a bad filter value · 3 ``--strict`` and the input had errors
(the served index is unchanged) · 4 another run holds the write lock.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from indexer.lang import PROJECT_ROOT
from indexer.store import IndexLocked, IndexStore

EXIT_NO_INDEX = 1
EXIT_USAGE = 2
EXIT_LOCKED = 4
DEFAULT_SOURCE = PROJECT_ROOT / "data"

index_option = click.option(
    "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    envvar="KGSEARCH_INDEX", show_envvar=True,
    help="Index folder (default: var/index under the project).")


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _engine(index_dir):
    from search.engine import NoIndex, SearchEngine
    engine = SearchEngine(index_dir)
    try:
        engine.state()
    except NoIndex as exc:
        click.echo(f"kgsearch: {exc}", err=True)
        sys.exit(EXIT_NO_INDEX)
    return engine


class Progress:
    """A progress bar (documents/s, elapsed) on a terminal; silent otherwise."""

    def __init__(self, enabled: bool, desc: str):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm
            self.bar = tqdm(desc=desc, unit=" docs", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kgsearch")
def main():
    """Search Kyrgyz-language news about corruption."""


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--strict", is_flag=True, help="Fail (exit 3) on any input error; the served index stays as it was.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@click.option("--lock-timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait for another writer.")
def reindex(sources, index_dir, strict, quiet, as_json, lock_timeout):
    """Rebuild the index from SOURCES (files or folders; default: data/) and switch to it."""
    from indexer.build import rebuild
    sources = [str(s) for s in sources] or [str(DEFAULT_SOURCE)]
    store = IndexStore(index_dir)
    progress = Progress(not quiet and not as_json, "indexing")
    try:
        result = rebuild(store, sources, strict=strict, on_problem=lambda p: progress.write(str(p)),
                         progress=progress, lock_timeout=lock_timeout)
    except IndexLocked as exc:
        progress.close()
        click.echo(f"kgsearch: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    progress.close()
    summary = result.summary()
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


@main.command()
@click.argument("query", nargs=-1)
@index_option
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--from", "date_from", help="From this date (2025, 2025-03, 2025-03-14, 10.12.2025…).")
@click.option("--to", "date_to", help="Up to this date, inclusive.")
@click.option("--district", multiple=True, help="Only documents mentioning this district (repeatable).")
@click.option("--oblast", multiple=True, help="Only documents mentioning this oblast (repeatable).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default=None,
              help="Default: relevance with a query, newest without.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search(query, index_dir, limit, page, date_from, date_to, district, oblast, sort, as_json):
    """Search the index and print ranked hits."""
    from search.filters import InvalidFilter, make_filters
    from search.highlight import strip_marks
    try:
        filters = make_filters(date_from, date_to, district, oblast)
    except InvalidFilter as exc:
        raise click.BadParameter(str(exc)) from None
    engine = _engine(index_dir)
    result = engine.search(" ".join(query), page=page, per_page=limit, filters=filters, sort=sort)
    if as_json:
        _echo_json(result)
        return
    click.echo(f"{result['total']} found · page {result['page']} of {max(result['pages'], 1)} · "
               f"{result['took_ms']} ms")
    for n, hit in enumerate(result["hits"], start=(page - 1) * limit + 1):
        click.echo()
        click.echo(click.style(f"{n}. {hit['title']}", bold=True))
        meta = [hit["date"] or "no date", hit["id"]]
        if hit["score"] is not None:
            meta.append(f"score {hit['score']:.2f}")
        click.echo("   " + " · ".join(meta))
        click.echo("   " + strip_marks(hit["snippet"], lambda s: click.style(s, fg="yellow", bold=True)))


@main.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
def serve(index_dir, host, port, threads):
    """Serve the web UI and the JSON API with waitress."""
    import waitress
    from search.engine import NoIndex, SearchEngine
    from web import create_app
    engine = SearchEngine(index_dir)
    try:
        stats = engine.stats()
        if stats["reindex_needed"]:
            click.echo(f"kgsearch: the index was built with analyzer {stats['analyzer_version']}, "
                       f"the code has {stats['code_analyzer_version']}: run `kgsearch reindex`", err=True)
    except NoIndex as exc:
        click.echo(f"kgsearch: {exc} (serving anyway; pages will say so)", err=True)
    app = create_app({"ENGINE": engine})
    click.echo(f"Serving on http://{host}:{port}/ (index {engine.store.root})", err=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="kgsearch")


@main.command()
@index_option
@click.option("--json", "as_json", is_flag=True)
def stats(index_dir, as_json):
    """Documents, date range, places, size and generation of the index."""
    engine = _engine(index_dir)
    s = engine.stats()
    if as_json:
        _echo_json(s)
        return
    click.echo(f"index        {s['index']}")
    click.echo(f"generation   {s['generation']} (built {s['built_at']})")
    click.echo(f"sources      {', '.join(s['sources'])}")
    click.echo(f"documents    {s['documents']} ({s['undated']} without a date)")
    if s["date_range"]:
        click.echo(f"dates        {s['date_range'][0]} … {s['date_range'][1]}")
    click.echo(f"size         {s['index_bytes'] / 1e6:.2f} MB")
    click.echo(f"analyzer     {s['analyzer_version']}"
               + ("  (code has " + s["code_analyzer_version"] + ": run `kgsearch reindex`)"
                  if s["reindex_needed"] else ""))
    for name, n in s["oblasts"].items():
        click.echo(f"  {name:<22} {n}")


if __name__ == "__main__":
    main()
