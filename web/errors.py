"""Errors as clear 4xx/503 messages: JSON under /api and /healthz, a page elsewhere; never a 500 page
for anything a visitor or an admin can cause."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from search.engine import Busy, NoIndex
from web.context import engine
from web.i18n import FEED_PATH
from web.params import MAX_QUERY, BadRequest
from web.safety import shorten

log = logging.getLogger("kgsearch.web")

# What a visitor sees when the served index is missing or cannot be opened; the details (which
# contain server paths) go to the server log only.
UNAVAILABLE = _l("Издөө индекси азырынча курулган эмес же жеткиликсиз; администратор `kgsearch reindex` "
                 "(же мурунку муунду кайтаруу үчүн `kgsearch rollback`) буйругун иштетиши керек")
# werkzeug's own (English) descriptions are replaced by ours, by status
STATUS_MESSAGES = {
    404: _l("Мындай бет жок."),
    405: _l("Бул дарекке мындай суроо жөнөтүүгө болбойт."),
    413: _l("Суроо өтө чоң."),
    414: _l("Дарек өтө узун."),
}
BUSY = _l("Кең префикстүү суроолор азыр көп; бир аздан кийин кайра аракет кылыңыз же префикске дагы тамга кошуңуз.")
MAX_MESSAGE = 600            # a last bound on any message sent back


def _wants_json() -> bool:
    # the feed too: every error on /feed.atom (a 400 as a 405) is JSON, as the API's
    return request.path.startswith("/api/") or request.path in ("/healthz", FEED_PATH)


def _render(status: int, message, headers=None):
    message = shorten(str(message), MAX_MESSAGE)
    if request.path == "/healthz":
        body = {"status": "no index" if status == 503 else "error", "error": message}
        return jsonify(body), status, headers or []
    if _wants_json():
        return jsonify({"error": message, "status": status}), status, headers or []
    q = request.args.get("q", "")
    return (render_template("error.html", status=status, message=message, q=q if len(q) <= MAX_QUERY else ""),
            status, headers or [])


def register_errors(app) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(exc):
        return _render(400, str(exc))

    @app.errorhandler(NoIndex)
    def no_index(exc):
        root = getattr(getattr(engine(), "store", None), "root", None)
        log.error("503 on %s: %s (index %s)", request.path, exc, root)   # the path only in the log
        return _render(503, UNAVAILABLE)

    @app.errorhandler(Busy)
    def busy(exc):
        # too many requests of queries cut by the cost bound wait already (search/heavy.py)
        return _render(429, BUSY, [("Retry-After", str(exc.retry_after))])

    @app.errorhandler(HTTPException)
    def http_error(exc):
        # keep what the exception adds, e.g. ``Allow`` on a 405; the body is ours
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        code = exc.code or 500
        description = exc.description
        if not description or description == type(exc).description:      # werkzeug's English text
            description = STATUS_MESSAGES.get(code) or _("Суроону аткаруу мүмкүн болгон жок (%(code)s).", code=code)
        return _render(code, description, headers)

    @app.errorhandler(Exception)
    def unexpected(exc):
        # A served generation that is missing or corrupt fails when the engine opens it, with
        # whatever the storage layer raises: if opening it fails now too, that is the cause (503,
        # the fix named); if it opens, the error is a real bug (500, logged).
        try:
            engine().state()
        except Exception:                        # noqa: BLE001 — judged just below
            log.error("the served index at %s could not be opened (on %s)", engine().store.root, request.path,
                      exc_info=exc)
            return _render(503, UNAVAILABLE)
        log.error("unexpected error on %s", request.path, exc_info=exc)
        return _render(500, _("Ички ката; ал журналга жазылды."))
