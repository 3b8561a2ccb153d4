"""The API described: ``/openapi.json`` (OpenAPI 3.1), generated from the parameter table the views
parse with (``web/api_params.py``), and ``/api``, the same document as a page (no script)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from flask import Blueprint, jsonify, render_template

from indexer.fields import FACETS, KEYWORDS, PLACE, YEAR
from search.response import HIT_KEYS
from web.api_params import FILTERS, PARAMS, SEARCH, wire
from web.context import public_root

bp = Blueprint("openapi", __name__)

_STRINGS = {"type": "array", "items": {"type": "string"}}
_NULLABLE_STRING = {"type": ["string", "null"]}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_FACET_KINDS = {YEAR: "articles per year of their date (filter: from / to)",
                PLACE: "the places the articles mention, most first",
                KEYWORDS: "the values the source gives (JSON Lines), most first"}
SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error", "status"],
        "properties": {"error": {"type": "string", "description": "What is wrong and how to fix it."},
                       "status": {"type": "integer", "description": "The HTTP status, repeated."}},
    },
    "Hit": {
        "type": "object", "required": list(HIT_KEYS),
        "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "date": {"type": ["string", "null"], "description": "ISO YYYY-MM-DD, null when undated."},
            "url": _NULLABLE_STRING, "source": _NULLABLE_STRING,
            "score": {"type": ["number", "null"]},
            "snippet": {"type": "string", "description": "HTML: matches in <mark>, the rest escaped."},
            "snippet_text": {"type": "string", "description": "The same passage as plain text (\"… \" before "
                             "it when it does not start the article, \" …\" after it when it does not end it)."},
            "snippet_marks": {"type": "array", "description": "The matches in snippet_text: [start, end] "
                              "offsets in Unicode code points (Python string indices), ascending, "
                              "non-overlapping; snippet is snippet_text escaped with these in <mark>.",
                              "items": {"type": "array", "items": {"type": "integer", "minimum": 0},
                                        "minItems": 2, "maxItems": 2}},
            "districts": _STRINGS, "oblasts": _STRINGS, "topics": _STRINGS,
            "partial": {"type": "boolean", "description": "Matches only some of the query's words."},
        },
    },
    "Timeline": {
        "type": "object", "required": ["unit", "bins", "undated", "peak"],
        "properties": {
            "unit": {"type": ["string", "null"], "enum": ["month", "year", None]},
            "bins": {"type": "array", "items": {
                "type": "object", "required": ["period", "count", "all", "share"],
                "properties": {
                    "period": {"type": "string", "description": "2024-03 or 2024: a valid from/to value."},
                    "count": {"type": "integer", "description": "Matching articles in the period."},
                    "all": {"type": "integer", "description": "All indexed articles in the period."},
                    "share": {"type": "number", "description": "count / all (0 when all is 0)."}}}},
            "undated": {"type": "integer", "description": "Matching articles without a date."},
            "peak": {"type": "integer"}, "peak_share": {"type": "number"},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["query", "total", "page", "per_page", "pages", "sort", "took_ms", "hits", "facets",
                     "timeline", "filters"],
        "properties": {
            "query": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
            "per_page": {"type": "integer"}, "pages": {"type": "integer"}, "sort": {"type": "string"},
            "took_ms": {"type": "number"},
            "partial_total": {"type": "integer", "description": "Further results matching only some words."},
            "all_words_found": {"type": "boolean"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {"type": "object", "description": "Per facet, {value: matching articles}; "
                       "each counted under the other facets' filters (a value's count is what choosing "
                       "it gives). " + "; ".join(f"{f.name}: {_FACET_KINDS[f.kind]}" for f in FACETS) + ".",
                       "properties": {f.name: _COUNTS for f in FACETS}},
            "timeline": {"$ref": "#/components/schemas/Timeline"},
            "notes": {"type": "array", "items": {"type": "object"},
                      "description": "What was changed or cut in the query, with a message."},
            "undated_excluded": {"type": "integer", "description": "Undated matches a date filter left out."},
            "did_you_mean": _NULLABLE_STRING,
            "corrected_from": {"type": ["string", "null"], "description": "Set when nothing matched and "
                               "these results are for did_you_mean instead."},
            "expansions": {"type": "array", "items": {"type": "object"},
                           "description": "Readings also searched (Latin script, ru↔ky terms)."},
            "filters": {"type": "object", "description": "The filters as applied: from / to (ISO dates or "
                        "null) and each facet's values (canonical names).",
                        "required": ["from", "to", *(f.name for f in FACETS if f.filterable)],
                        "properties": {"from": _NULLABLE_STRING, "to": _NULLABLE_STRING,
                                       **{f.name: _STRINGS for f in FACETS if f.filterable}}},
        },
    },
    "ExportRow": {
        "type": "object", "description": "One line of the JSON Lines export (a CSV row has the same columns; "
        "lists joined with '; ').",
        "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "date": _NULLABLE_STRING,
                       "date_source": _NULLABLE_STRING, "url": _NULLABLE_STRING, "source": _NULLABLE_STRING,
                       "districts": _STRINGS, "oblasts": _STRINGS, "topics": _STRINGS,
                       "score": {"type": ["number", "null"]}, "body": {"type": "string"}},
    },
}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# path → (operation id, summary, description, parameter names from the table, 200 response)
ENDPOINTS = {
    "/api/search": ("search", "Search", "A page of ranked (or date-sorted) results with facets and timeline.",
                    SEARCH, _json("The results.", {"$ref": "#/components/schemas/SearchResult"})),
    "/api/export": ("export", "Export every match",
                    "Every document `total` counts, in the chosen sort, streamed (constant memory). "
                    "CSV: UTF-8 with a byte-order mark, RFC 4180 quoting, lists joined with '; ', cells "
                    "that a spreadsheet would read as a formula prefixed with an apostrophe. The header "
                    "X-Total-Count says how many rows follow.",
                    ("q", *FILTERS, "sort", "format", "fields"),
                    {"description": "The rows, as an attachment kgsearch-YYYY-MM-DD.csv / .jsonl.",
                     "headers": {"X-Total-Count": {"schema": {"type": "integer"},
                                                   "description": "Rows in the export."},
                                 "X-Searched-Instead": {"schema": {"type": "string"},
                                                        "description": "Set when the query as typed found "
                                                        "nothing and its correction (did_you_mean, "
                                                        "percent-encoded UTF-8) was exported instead, "
                                                        "as the result page searches it."}},
                     "content": {"text/csv": {"schema": {"type": "string"}},
                                 "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ExportRow"}}}}),
    "/api/timeline": ("timeline", "Timeline of the matches",
                      "Matches per month (per year beyond 36 months), with all indexed articles per period "
                      "and the share count/all; CSV adds a last row `undated`.",
                      ("q", *FILTERS, "timeline_format"),
                      {"description": "The timeline.",
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Timeline"}},
                                   "text/csv": {"schema": {"type": "string"}}}}),
    "/feed.atom": ("feed", "Follow a search (Atom)",
                   "An Atom 1.0 feed of the newest matching dated articles, newest first; the subtitle "
                   "says how many undated matches are left out. ETag / Last-Modified: send If-None-Match "
                   "or If-Modified-Since for a 304.",
                   ("q", *FILTERS, "limit"),
                   {"description": "The feed.", "headers": {"ETag": {"schema": {"type": "string"}},
                                                             "Last-Modified": {"schema": {"type": "string"}}},
                    "content": {"application/atom+xml": {"schema": {"type": "string"}}}}),
    "/api/doc/{id}": ("document", "One article", "The whole article, the query's matches highlighted.",
                      ("q",), _json("The article.", {"type": "object", "required": ["id", "title", "body_html"]})),
    "/api/stats": ("stats", "Index statistics", "Documents, dates, oblasts, size, generation, analyzer versions.",
                   (), _json("The statistics.", {"type": "object", "required": ["documents", "generation"]})),
}
STATUS_ERRORS = {"400": "A parameter is wrong; the message says which and why.",
                 "429": "Too many queries cut by the cost bound (very broad prefixes such as `ка*`) wait already; "
                        "try again after `Retry-After` seconds, or type more letters.",
                 "503": "No index is served; an admin must run `kgsearch reindex` (or `kgsearch rollback`)."}


def parameter(name: str) -> dict:
    p = PARAMS[name]
    out = {"name": wire(name), "in": "query", "required": False, "description": p.description,
           "schema": p.schema()}
    if p.repeatable:
        out.update(style="form", explode=True)
    if p.example is not None:
        out["example"] = p.example
    return out


def document(server_url: str | None = None) -> dict:
    """The OpenAPI 3.1 document of the API."""
    try:
        ver = version("kgsearch")
    except PackageNotFoundError:
        ver = "0"
    paths: dict = {}
    for path, (op_id, summary, description, names, ok) in ENDPOINTS.items():
        params = [parameter(n) for n in names]
        responses = {"200": ok, **{code: _error(text) for code, text in STATUS_ERRORS.items()}}
        if path == "/api/doc/{id}":
            params.insert(0, {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                              "description": "The document id (percent-encoded; '/' as %2F)."})
            responses["404"] = _error("No document with this id.")
        paths[path] = {"get": {"operationId": op_id, "summary": summary, "description": description,
                               "parameters": params, "responses": responses}}
    paths["/healthz"] = {"get": {
        "operationId": "health", "summary": "Health", "description": "Whether an index is served.",
        "responses": {
            "200": _json("Serving.", {"type": "object", "required": ["status", "documents", "generation"],
                                      "properties": {"status": {"const": "ok"}}}),
            "503": _json("No index.", {"type": "object", "required": ["status", "error"],
                                       "properties": {"status": {"const": "no index"}}})}}}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "kgsearch API", "version": ver,
                 "description": "Search Kyrgyz-language news about corruption: results, every match as "
                                "CSV / JSON Lines, the timeline with shares of all coverage, an Atom feed per "
                                "search. Errors under /api are JSON {\"error\": …, \"status\": …}."},
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document(public_root()))


@bp.get("/api")
def api_docs():
    return render_template("api_docs.html", doc=document(public_root()))
