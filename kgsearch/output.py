"""What the command line prints: JSON on stdout, one-line failures on stderr, a progress bar on a
terminal, search results and index statistics as text.

Search results on a terminal: each hit's title in bold, its matches in bold yellow, rendered from
the hit's ``snippet_text`` and ``snippet_marks`` by ``search.highlight.TerminalFormatter`` (no HTML
is parsed).  Piped or redirected, the same lines come without styling (click drops the ANSI codes
when stdout is not a terminal), so ``kgsearch search … | grep`` sees the plain text.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys

import click

from indexer.store import display_path
from search.highlight import Fragment, TerminalFormatter


def echo_json(obj) -> None:
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:            # a path that is not UTF-8: \udcXX escapes, still JSON
        text = json.dumps(obj, ensure_ascii=True, indent=2)
    click.echo(text)


def fail(exc, code: int, as_json: bool = False, progress: "Progress | None" = None) -> None:
    """One line on stderr (and with ``--json`` a summary on stdout), then exit ``code``."""
    if progress is not None:
        progress.close()
    click.echo(f"kgsearch: {exc}", err=True)
    if as_json:
        echo_json({"published": False, "exit_code": code, "reason": str(exc)})
    sys.exit(code)


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


MATCH = TerminalFormatter(lambda s: click.style(s, fg="yellow", bold=True))

# C0 controls but tab and newline, DEL, C1 controls: an article's text could hold a terminal's
# escape sequences (ESC ] … sets the window title, writes a link, ...); each becomes U+FFFD, one
# character for one, so the snippet's match offsets still point at their words
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text) -> str:
    """``text`` with the characters a terminal would act on replaced (``_CONTROLS``)."""
    return _CONTROLS.sub("\ufffd", str(text))


@contextlib.contextmanager
def reader_may_leave(before_exit=None):
    """``kgsearch search … | head``, ``kgsearch export … | head``: a reader that closes the pipe
    early ends the command with exit 0 and no message (nothing after the lines it read is
    lost); ``before_exit()`` (a progress bar's close) runs first."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        if before_exit is not None:
            before_exit()
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


def print_search(result: dict) -> None:
    """A page of results as text: the counts, corrections and expansions, then each hit."""
    click.echo(f"{result['total']} found · page {result['page']} of {max(result['pages'], 1)} · "
               f"{result['took_ms']} ms")
    if result.get("corrected_from"):      # query expansion (search/expand.py)
        click.echo(printable(f"nothing for {result['corrected_from']!r}; searched instead: {result['did_you_mean']}"))
    elif result.get("did_you_mean"):
        click.echo(printable(f"did you mean: {result['did_you_mean']}"))
    for e in result.get("expansions", []):
        click.echo(printable(f"also searched ({e['kind']}): {e['from']} → {', '.join(e['to'])}"))
    first = (result["page"] - 1) * result["per_page"] + 1
    for n, hit in enumerate(result["hits"], start=first):
        click.echo()
        click.echo(click.style(f"{n}. {printable(hit['title'])}", bold=True))
        meta = [hit["date"] or "no date", printable(hit["id"])]
        if hit["score"] is not None:
            meta.append(f"score {hit['score']:.2f}")
        click.echo("   " + " · ".join(meta))
        click.echo("   " + MATCH.format(Fragment.of(printable(hit["snippet_text"]), hit["snippet_marks"])))


def print_stats(s: dict) -> None:
    """``kgsearch stats`` as text."""
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
    ok, segments = s.get("marked_segments") or (0, 0)
    if ok < segments:
        click.echo(f"ranking      {segments - ok} of {segments} segment(s) rank by stems alone: their exact-form "
                   "and prefix terms are missing or damaged; run `kgsearch reindex` to restore them")
    for name, n in s["oblasts"].items():
        click.echo(f"  {name:<22} {n}")
