"""The JSON API: /api/search, /api/doc/<id>, /api/stats, /healthz."""
from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _

from search.response import search_response
from web.context import engine
from web.params import query_arg, search_args
from web.safety import shown

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def api_search():
    a = search_args(request.args)
    result = engine().search(a.q, page=a.page, per_page=a.per_page, filters=a.filters, sort=a.sort)
    return jsonify(search_response(result, a.filters))      # the shape `kgsearch search --json` prints


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
