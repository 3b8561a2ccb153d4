"""HTML pages: the search page and the article page."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, current_app, render_template, request, url_for
from werkzeug.routing import BaseConverter

from web.params import query_arg, search_args
from web.safety import shown

bp = Blueprint("views", __name__)

SORT_LABELS = {"relevance": "Шайкештиги боюнча", "newest": "Жаңылары биринчи", "oldest": "Эскилери биринчи"}


class DocIdConverter(BaseConverter):
    """A document id in ``/doc/<id>``: any text, one URL path segment (``/`` is sent as ``%2F`` so a
    browser never resolves ``a/../b``; the server decodes it back, so ``/`` may appear unencoded too)."""
    regex = ".+"
    part_isolating = False
    weight = 200

    def to_url(self, value: str) -> str:
        return quote(value, safe="", errors="backslashreplace")


def engine():
    return current_app.config["ENGINE"]


def link(raw: dict, **changes) -> str:
    """The search URL for the current parameters with ``changes`` applied.

    ``add_district=X`` / ``drop_district=X`` (likewise oblast) add or remove one value;
    any other key replaces a parameter (``None`` removes it); the page resets to 1.
    """
    params = {k: (list(v) if isinstance(v, list) else v) for k, v in raw.items()}
    for key, value in changes.items():
        if key.startswith(("add_", "drop_")):
            op, name = key.split("_", 1)
            values = [v for v in params.get(name, []) if v != value]
            if op == "add":
                values.append(value)
            params[name] = values
        else:
            params[key] = value
    query = {}
    for key, value in params.items():
        if isinstance(value, list):
            if value:
                query[key] = [str(v) for v in value]
        elif value not in (None, ""):
            query[key] = str(value)
    return url_for("views.index", **query)


@bp.app_template_global()
def search_link(raw, **changes):
    return link(raw, **changes)


@bp.app_template_global()
def doc_link(doc_id: str, q: str = "") -> str:
    """The article page of ``doc_id`` (with the query to highlight).  An id that is only dots would be
    a ``.``/``..`` path segment that browsers resolve away, so it goes in the query string instead."""
    args = {"q": q} if q else {}
    if doc_id.strip(".") == "":
        return url_for("views.document_by_arg", id=doc_id, **args)
    return url_for("views.document", doc_id=doc_id, **args)


@bp.get("/")
def index():
    a = search_args(request.args)
    searched = bool(a.q.strip()) or a.filters.active
    if searched:
        result = engine().search(a.q, page=a.page, per_page=a.per_page, filters=a.filters, sort=a.sort)
    else:
        result = None
        engine().state()        # the search form is no use without an index: a 503 naming the fix
    return render_template("index.html", a=a, result=result, searched=searched, sort_labels=SORT_LABELS)


@bp.get("/doc/<docid:doc_id>")
def document(doc_id):
    q = query_arg(request.args)
    doc = engine().document(doc_id, q)
    if doc is None:
        abort(404, description=f"Мындай документ жок: {shown(doc_id)}")
    return render_template("doc.html", doc=doc, q=q)


@bp.get("/doc")
def document_by_arg():
    doc_id = request.args.get("id", "")
    if not doc_id:
        abort(404, description="Документтин id'си берилген жок (/doc/<id>)")
    return document(doc_id)
