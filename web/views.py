"""HTML pages: the search page and the article page."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request

from web.params import search_args

bp = Blueprint("views", __name__)

SORT_LABELS = {"relevance": "Шайкештиги боюнча", "newest": "Жаңылары биринчи", "oldest": "Эскилери биринчи"}


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
    pairs = []
    for key, value in params.items():
        if isinstance(value, list):
            pairs += [(key, v) for v in value]
        elif value not in (None, ""):
            pairs.append((key, value))
    return "/?" + urlencode(pairs) if pairs else "/"


@bp.app_template_global()
def search_link(raw, **changes):
    return link(raw, **changes)


@bp.get("/")
def index():
    a = search_args(request.args)
    searched = bool(a.q.strip()) or a.filters.active
    result = None
    if searched:
        result = engine().search(a.q, page=a.page, per_page=a.per_page, filters=a.filters, sort=a.sort)
    return render_template("index.html", a=a, result=result, searched=searched, sort_labels=SORT_LABELS)


@bp.get("/doc/<path:doc_id>")
def document(doc_id):
    q = request.args.get("q", "")
    doc = engine().document(doc_id, q)
    if doc is None:
        abort(404, description=f"Мындай документ жок: {doc_id}")
    return render_template("doc.html", doc=doc, q=q)
