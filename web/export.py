"""Researchers' downloads: every match of a search as CSV or JSON Lines (``/api/export``) and the
timeline with shares of all coverage (``/api/timeline``).

Both are streamed by a generator: the engine computes the matching set and its order (docnum
arrays), the rows are read and written a chunk at a time, so memory stays flat however many
documents match."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, stream_with_context, url_for

from web.context import engine
from web.api_params import FILTERS, choice_arg, list_choice_arg
from web.params import search_args

bp = Blueprint("export", __name__)

COLUMNS = ("id", "title", "date", "date_source", "url", "source", "districts", "oblasts", "topics", "score")
LIST_SEPARATOR = "; "             # districts, oblasts, topics in one CSV cell
BOM = "\ufeff"                    # so spreadsheet programs read the CSV as UTF-8
# A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
# apostrophe in CSV (OWASP "CSV injection"); JSON Lines keep every value as it is.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TIMELINE_COLUMNS = ("period", "count", "all", "share")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(value)
    elif not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


CHUNK_CHARS = 1 << 16              # rows are sent in pieces of about this size (not one write a row)


def csv_rows(rows, columns) -> Iterator[str]:
    """The CSV text in pieces: BOM and header first (csv module quoting, CRLF line ends), then
    whole rows, about ``CHUNK_CHARS`` at a time."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    yield BOM + buf.getvalue()
    buf.seek(0)
    buf.truncate()
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
        if buf.tell() >= CHUNK_CHARS:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue()


def jsonl_rows(rows, columns) -> Iterator[str]:
    """One JSON object a line, in pieces of about ``CHUNK_CHARS``."""
    lines, size = [], 0
    for row in rows:
        line = json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) + "\n"
        lines.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(lines)
            lines, size = [], 0
    if lines:
        yield "".join(lines)


def export_columns(extra) -> tuple[str, ...]:
    return COLUMNS + tuple(f for f in ("body",) if f in extra)


def _filename(ext: str, what: str = "") -> str:
    return f"kgsearch-{what}{dt.datetime.now(dt.timezone.utc).date().isoformat()}.{ext}"


@bp.get("/api/export")
def api_export():
    a = search_args(request.args)
    fmt = choice_arg(request.args, "format")
    columns = export_columns(list_choice_arg(request.args, "fields"))
    # the set, its order and its size now (a 400 / 503 before the first byte); the rows lazily
    corrected: list[str] = []          # nothing matched: the did-you-mean query, as on the page
    total, rows = engine().matches(a.q, a.filters, a.sort, body="body" in columns, on_corrected=corrected.append)
    if fmt == "csv":
        body, mimetype = csv_rows(rows, columns), "text/csv"
    else:
        body, mimetype = jsonl_rows(rows, columns), "application/x-ndjson"
    resp = Response(stream_with_context(body), mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename={_filename(fmt)}"
    resp.headers["X-Total-Count"] = str(total)
    if corrected:                      # percent-encoded UTF-8 (a header is Latin-1)
        resp.headers["X-Searched-Instead"] = quote(corrected[0])
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/api/timeline")
def api_timeline():
    a = search_args(request.args)
    fmt = choice_arg(request.args, "timeline_format")
    result = engine().search(a.q, page=1, per_page=1, filters=a.filters, sort=a.sort)
    tl = result["timeline"]
    if fmt == "json":
        return jsonify({"query": result["query"], "total": result["total"], **tl})

    def lines():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(TIMELINE_COLUMNS)
        for b in tl["bins"]:
            writer.writerow([b[c] for c in TIMELINE_COLUMNS])
        writer.writerow(["undated", tl["undated"], "", ""])
        return BOM + buf.getvalue()

    resp = Response(lines(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f"attachment; filename={_filename('csv', 'timeline-')}"
    return resp


def _query(raw: dict, **extra) -> dict:
    """The search's query and filters (not its page) as url_for arguments."""
    out = {}
    for key in ("q", *FILTERS, "sort"):
        value = raw.get(key)
        if isinstance(value, list):
            if value:
                out[key] = list(value)
        elif value not in (None, ""):
            out[key] = value
    out.update(extra)
    return out


@bp.app_template_global()
def export_link(raw: dict, fmt: str) -> str:
    """The download of every match of the search ``raw`` (SearchArgs.raw) as ``fmt``."""
    return url_for("export.api_export", **_query(raw, format=fmt))


@bp.app_template_global()
def timeline_link(raw: dict, fmt: str) -> str:
    return url_for("export.api_timeline", **_query(raw, format=fmt))
