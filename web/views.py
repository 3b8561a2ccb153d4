"""HTML pages: the search page and the article page."""
from __future__ import annotations

import os
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter

from indexer.fields import FACETS, value_facets
from web.context import engine
from web.i18n import place_name, topic_name
from web.params import BadRequest, query_arg, search_args
from web.safety import shown

bp = Blueprint("views", __name__)

SORT_LABELS = {"relevance": _l("Шайкештиги боюнча"), "newest": _l("Жаңылары биринчи"),
               "oldest": _l("Эскилери биринчи")}
# The search parameters an article page carries so its back link returns to the same results page.
FACET_NAMES = tuple(f.name for f in value_facets())
STATE_KEYS = ("q", "from", "to", *FACET_NAMES, "sort", "per_page", "page")
EXAMPLES = ("коррупция", '"мамлекеттик органдардын"', "прокуратура OR сот", "Тон району")
PAGE_WINDOW = 2          # numbered page links either side of the current one


class DocIdConverter(BaseConverter):
    """A document id in ``/doc/<id>``: any text, one URL path segment (``/`` is sent as ``%2F`` so a
    browser never resolves ``a/../b``; the server decodes it back, so ``/`` may appear unencoded too)."""
    regex = ".+"
    part_isolating = False
    weight = 200

    def to_url(self, value: str) -> str:
        return quote(value, safe="", errors="backslashreplace")


def link(raw: dict, add: tuple[str, str] | None = None, drop: tuple[str, str] | None = None,
         **changes) -> str:
    """The search URL for the current parameters with ``changes`` applied.

    ``add=(facet, value)`` / ``drop=(facet, value)`` add or remove one value of a registry facet
    (``indexer/fields.py``: district, oblast, topic…); any other key replaces a parameter
    (``None`` removes it); the page resets to 1.
    """
    params = {k: (list(v) if isinstance(v, list) else v) for k, v in raw.items()}
    for op, change in (("add", add), ("drop", drop)):
        if change is None:
            continue
        name, value = change
        if name not in FACET_NAMES:
            raise ValueError(f"{name!r} is not a facet with values (indexer/fields.py)")
        values = [v for v in params.get(name, []) if v != value]
        params[name] = values + [value] if op == "add" else values
    params.update(changes)
    query = {}
    for key, value in params.items():
        if isinstance(value, list):
            if value:
                query[key] = [str(v) for v in value]
        elif value not in (None, ""):
            query[key] = str(value)
    return url_for("views.index", **query)


@bp.app_template_filter()
def facet_value(value: str, facet) -> str:
    """A facet value as the page shows it: a place or a topic in the UI's language (the
    registry's ``display``), anything else as indexed."""
    show = _DISPLAY.get(facet.display)
    return show(value) if show else value


_DISPLAY = {"place": place_name, "topic": topic_name}


@bp.app_template_global()
def search_link(raw, **changes):
    return link(raw, **changes)


@bp.app_template_global()
def doc_link(doc_id: str, q: str = "", state: dict | None = None, page: int = 1) -> str:
    """The article page of ``doc_id`` (with the query to highlight, and with ``state`` — the search
    page's ``a.raw`` — and ``page``, so its back link returns to that page of results).  An id that is
    only dots would be a ``.``/``..`` path segment that browsers resolve away, so it goes in the query
    string instead."""
    args = {"q": q} if q else {}
    for key, value in (state or {}).items():
        if key in STATE_KEYS and key != "q" and value not in (None, "", []):
            args[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    if page and page > 1:
        args["page"] = str(page)
    if doc_id.strip(".") == "":
        return url_for("views.document_by_arg", id=doc_id, **args)
    return url_for("views.document", doc_id=doc_id, **args)


@bp.app_template_global()
def page_numbers(page: int, pages: int) -> list[int | None]:
    """Page numbers to link: the first, the last, and ``PAGE_WINDOW`` either side of ``page``;
    ``None`` where numbers are left out."""
    wanted = {1, pages, *range(max(1, page - PAGE_WINDOW), min(pages, page + PAGE_WINDOW) + 1)}
    out: list[int | None] = []
    for n in sorted(wanted):
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


def home_facts() -> dict:
    """What the home page says is indexed — never a server path: sources by their base names."""
    stats = engine().stats()
    names = sorted({n for s in stats.get("sources") or [] if (n := os.path.basename(str(s).rstrip("/\\")))})
    return {"documents": stats["documents"], "date_range": stats.get("date_range"),
            "undated": stats.get("undated", 0), "built_at": stats.get("built_at"), "sources": names}


@bp.get("/")
def index():
    a = search_args(request.args)
    searched = bool(a.q.strip()) or a.filters.active
    facts = None
    if searched:
        result = engine().search(a.q, page=a.page, per_page=a.per_page, filters=a.filters, sort=a.sort)
        if a.page > 1 and a.page > result["pages"]:
            # past the end: the last page (or the first, when nothing is found), with every other
            # parameter of the request as given (timeline=share, lang…)
            return redirect(past_the_end(request.args, result["pages"]), 302)
    else:
        result = None
        facts = home_facts()    # also: no index → a 503 naming the fix (the form is no use without one)
    return render_template("index.html", a=a, result=result, searched=searched, sort_labels=SORT_LABELS,
                           facts=facts, examples=EXAMPLES, facets=FACETS)


def past_the_end(args, pages: int) -> str:
    """The search URL of ``args`` (every parameter, as given) at page ``pages`` (no page: the first)."""
    # encoded here, not by url_for: a parameter named like its own arguments (_external, _anchor,
    # endpoint…) must stay a parameter
    pairs = [(k, v) for k, values in args.lists() if k != "page" for v in values]
    if pages > 1:
        pairs.append(("page", str(pages)))
    base = url_for("views.index")
    return base + "?" + urlencode(pairs) if pairs else base


def back_link(args) -> str:
    """The search page an article was opened from (its state is in the article URL)."""
    try:
        a = search_args(args)
    except BadRequest:
        q = args.get("q", "")
        return url_for("views.index", q=q) if q else url_for("views.index")
    if not (a.q.strip() or a.filters.active):
        return url_for("views.index")
    return link(a.raw, page=a.page if a.page > 1 else None)


@bp.get("/doc/<docid:doc_id>")
def document(doc_id):
    q = query_arg(request.args)
    doc = engine().document(doc_id, q)
    if doc is None:
        abort(404, description=_("Мындай документ жок: %(id)s", id=shown(doc_id)))
    return render_template("doc.html", doc=doc, q=q, back=back_link(request.args))


@bp.get("/doc")
def document_by_arg():
    doc_id = request.args.get("id", "")
    if not doc_id:
        abort(404, description=_("Документтин id'си берилген жок (/doc/<id>)"))
    return document(doc_id)
