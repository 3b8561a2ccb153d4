"""The UI's languages: Kyrgyz (default, and the language of the message ids), Russian, English.

Chosen by ``?lang=`` (then remembered in a cookie), else the cookie, else ``Accept-Language``, else
Kyrgyz — except the JSON API, ``/healthz`` and the feed's errors, which answer in English unless asked
otherwise (their messages are read by programs and admins).  Catalogues: ``web/translations/<lang>/LC_MESSAGES/
messages.po`` (extracted with ``pybabel extract -F babel.cfg``); the compiled ``.mo`` files are
committed beside them, and ``tests/test_i18n.py`` fails if one is older than its ``.po``.
"""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal
from flask import request, url_for
from flask_babel import Babel, get_locale

from indexer import places
from indexer.lang import DISPLAY_DIR, read_table

LANGS = ("ky", "ru", "en")
DEFAULT = "ky"
API_DEFAULT = "en"
LANG_NAMES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
MAX_ECHOED_QUERY = 2000      # bytes of query string a language link may carry


FEED_PATH = "/feed.atom"       # read by programs: its errors are the API's (JSON, English by default)


def _api_request() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/metrics", FEED_PATH)


def select_locale() -> str:
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(COOKIE, "")
    if kept in LANGS:
        return kept
    best = request.accept_languages.best_match(LANGS)
    if best:
        return best
    return API_DEFAULT if _api_request() else DEFAULT


def lang() -> str:
    return str(get_locale() or DEFAULT)


def remember_lang(response):
    """``?lang=xx`` is remembered in a cookie, so the links on the page need not carry it."""
    response.vary.update(("Accept-Language", "Cookie"))      # the language depends on them
    asked = request.args.get("lang", "")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
    return response


def lang_link(code: str) -> str:
    """This page in language ``code`` (an unknown path or an oversized query → the home page: never
    a path or a huge value echoed)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    if (request.url_rule is not None and request.endpoint and request.endpoint != "static"
            and len(request.query_string) + len(request.path) <= MAX_ECHOED_QUERY):
        return url_for(request.endpoint, **(request.view_args or {}), **args)
    return url_for("views.index", lang=code)


def _as_date(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value, "day"
    text = str(value or "")
    try:
        if len(text) == 4:
            return dt.date(int(text), 1, 1), "year"
        if len(text) == 7:
            return dt.date(int(text[:4]), int(text[5:7]), 1), "month"
        return dt.date.fromisoformat(text[:10]), "day"
    except ValueError:
        return None, None


def ldate(value, style: str = "medium") -> str:
    """An ISO date (``2025``, ``2025-03``, ``2025-03-14``) as the current language writes it."""
    d, precision = _as_date(value)
    if d is None:
        return str(value or "")
    loc = lang()
    if precision == "year":
        return format_skeleton("y", d, locale=loc)
    if precision == "month":
        return format_skeleton("yMMM" if style == "short" else "yMMMM", d, locale=loc)
    return format_date(d, "long" if style == "long" else "medium", locale=loc)


def ldatetime(value) -> str:
    """An ISO timestamp (e.g. the manifest's ``built_at``) in the current language, UTC."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return format_datetime(moment, "medium", locale=lang()) + " UTC"


def lnum(value) -> str:
    try:
        return format_decimal(value, locale=lang())
    except (TypeError, ValueError):
        return str(value)


def _topic_labels() -> dict[str, dict[str, str]]:
    """data/display/topic_labels.tsv: a topic value (case-folded) → {ui language: its name}."""
    out = {}
    for row in read_table("topic_labels.tsv", DISPLAY_DIR):
        out[row["value"].casefold()] = {k: v for k, v in row.items() if k in LANGS and v}
    return out


TOPIC_LABELS = _topic_labels()


def topic_name(value: str) -> str:
    """A topic value in the UI's language (data/display/topic_labels.tsv), else as spelled."""
    return TOPIC_LABELS.get(value.casefold(), {}).get(lang(), value)


def place_name(name: str) -> str:
    """A place as the data has it (Kyrgyz); in the Russian UI its Russian name from the gazetteer."""
    if lang() == "ru":
        unit = places.UNITS.get(name)
        if unit is not None and unit.name_ru:
            return unit.name_ru
    return name


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    Babel(app, locale_selector=select_locale)
    app.after_request(remember_lang)
    app.jinja_env.filters.update(ldate=ldate, ldatetime=ldatetime, lnum=lnum, place=place_name,
                                topic=topic_name)
    app.jinja_env.globals.update(LANGS=LANGS, LANG_NAMES=LANG_NAMES, lang_link=lang_link, current_lang=lang)
