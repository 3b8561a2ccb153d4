"""Follow a search: ``/feed.atom?q=…&<filters>``, an Atom 1.0 feed (made by ``feedgen``) of the
newest matching dated articles, with ``ETag`` / ``Last-Modified`` so readers poll cheaply."""
from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, request, url_for

from web.context import engine, public_root
from web.api_params import int_arg
from web.export import _query
from web.params import search_args
from web.safety import xml_text
from web.views import doc_link

bp = Blueprint("feeds", __name__)


# A feed is read by programs: its errors (400, 405, 429, 503…) are the API's JSON {"error": …,
# "status": …}, in English unless asked otherwise — web/errors.py and web/i18n.py (FEED_PATH).

FEED_TITLE = "KG·издөө"
TAG_DATE = "2025"          # the date part of the entries' tag: URIs (RFC 4151); never changes


def _day(iso: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(iso), dt.time(), dt.timezone.utc)


def _changed_at(generation: str) -> dt.datetime | None:
    """When the served generation last changed (its manifest's ``updated_at`` / ``built_at``)."""
    try:
        manifest = engine().store.manifest(generation)
    except Exception:                       # noqa: BLE001 — a missing time only weakens caching
        return None
    stamp = manifest.get("updated_at") or manifest.get("built_at")
    try:
        when = dt.datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.replace(microsecond=0) if when else None


@bp.app_template_global()
def feed_link(raw: dict, external: bool = False) -> str:
    """The Atom feed of the search ``raw`` (SearchArgs.raw), newest first whatever its sort."""
    query = {k: v for k, v in _query(raw).items() if k != "sort"}
    path = url_for("feeds.feed", **query)
    return public_root() + path if external else path


@bp.get("/feed.atom")
def feed():
    a = search_args(request.args)
    limit = int_arg(request.args, "limit")
    result = engine().search(a.q, page=1, per_page=limit, filters=a.filters, sort="newest")
    # the documents with every word (what `total` counts), newest first: undated ones sort last
    hits = [h for h in result["hits"] if h["date"] and not h.get("partial")]
    undated = result["timeline"]["undated"]
    changed = _changed_at(result["generation"])
    self_url = feed_link(a.raw, external=True)

    tag = hashlib.sha256("\n".join([result["generation"], str(result["total"]), self_url,
                                    *(h["id"] for h in hits)]).encode("utf-8")).hexdigest()[:32]
    # newest entry, or the index's last change, whichever is later
    latest = max([_day(h["date"]) for h in hits[:1]] + ([changed] if changed else []),
                 default=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    resp = Response(mimetype="application/atom+xml")
    resp.set_etag(tag)
    resp.last_modified = latest
    resp.headers["Cache-Control"] = "public, max-age=300"
    if request.if_none_match or request.if_modified_since:
        resp.make_conditional(request)
        if resp.status_code == 304:
            return resp

    fg = FeedGenerator()
    fg.id(self_url)
    what = a.q.strip() or "бардык макалалар"
    chosen = [v for _, values in a.filters.chosen for v in values]     # every facet's values
    fg.title(xml_text(f"{FEED_TITLE}: {what}" + (f" ({', '.join(chosen)})" if chosen else "")))
    fg.subtitle(f"Табылды: {result['total']}; {len(hits)} эң жаңы датасы бар макала; "
                f"датасы жок {undated} макала бул агымга кирген жок "
                f"(found {result['total']}, the newest {len(hits)} dated; {undated} undated left out)")
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    search_query = {k: v for k, v in _query(a.raw).items() if k != "sort"}
    fg.link(href=public_root() + url_for("views.index", **search_query), rel="alternate", type="text/html")
    fg.language("ky")
    fg.generator("kgsearch")
    fg.updated(latest)
    root = public_root()
    host = (urlsplit(root).hostname or "localhost").lower()
    for h in hits:
        fe = fg.add_entry(order="append")
        fe.id(f"tag:{host},{TAG_DATE}:doc/{quote(h['id'], safe='')}")
        fe.title(xml_text(h["title"] or h["id"]))
        fe.link(href=root + doc_link(h["id"]), rel="alternate", type="text/html")
        fe.updated(_day(h["date"]))
        fe.published(_day(h["date"]))
        fe.summary(xml_text(h["snippet"]), type="html")          # escaped by feedgen: text with <mark>
        for value in [*h["districts"], *h["oblasts"], *h.get("topics", ())]:
            fe.category(term=xml_text(value), label=xml_text(value))
    resp.set_data(fg.atom_str(pretty=True))
    return resp

