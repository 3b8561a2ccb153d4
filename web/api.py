"""The JSON API: /api/search, /api/doc/<id>, /api/stats, /healthz."""
from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _

from web.api_params import FACETS
from web.params import query_arg, search_args
from web.safety import shown

bp = Blueprint("api", __name__)


def engine():
    return current_app.config["ENGINE"]


@bp.get("/api/search")
def api_search():
    a = search_args(request.args)
    result = engine().search(a.q, page=a.page, per_page=a.per_page, filters=a.filters, sort=a.sort)
    hits = [{k: h[k] for k in ("id", "title", "date", "url", "source", "score", "snippet",
                               "districts", "oblasts", "partial")} for h in result["hits"]]
    return jsonify({
        "query": result["query"], "total": result["total"], "partial_total": result["partial_total"],
        "all_words_found": result["all_words_found"], "page": result["page"],
        "per_page": result["per_page"], "pages": result["pages"], "sort": result["sort"],
        "took_ms": result["took_ms"], "hits": hits, "facets": result["facets"],
        "timeline": result["timeline"], "notes": result.get("notes", []),
        "undated_excluded": result["undated_excluded"],
        "did_you_mean": result.get("did_you_mean"), "corrected_from": result.get("corrected_from"),
        "expansions": result.get("expansions", []),
        "filters": {"from": a.filters.date_from.isoformat() if a.filters.date_from else None,
                    "to": a.filters.date_to.isoformat() if a.filters.date_to else None,
                    **{f.name: list(a.filters.values(f.name)) for f in FACETS}},
    })


@bp.get("/api/doc/<docid:doc_id>")
def api_doc(doc_id):
    doc = engine().document(doc_id, query_arg(request.args))
    if doc is None:
        abort(404, description=_("Мындай документ жок: %(id)s", id=shown(doc_id)))
    return jsonify(doc)


@bp.get("/api/stats")
def api_stats():
    stats = engine().stats()
    if not current_app.config.get("STATS_SHOW_PATHS"):
        stats = {k: v for k, v in stats.items() if k not in ("index", "sources")}   # server paths
    return jsonify(stats)


@bp.get("/healthz")
def healthz():
    s = engine().stats()        # no index: the error handler's 503 {"status": "no index", "error": …}
    return jsonify({"status": "ok", "documents": s["documents"], "generation": s["generation"],
                    "reindex_needed": s["reindex_needed"], "pid": os.getpid()})
