"""Request parameters → search arguments, with a clear message for anything wrong."""
from __future__ import annotations

from dataclasses import dataclass

from search.filters import Filters, InvalidFilter, make_filters
from web.api_params import PARAMS
from web.safety import shown

# the limits, defaults and choices live in one table (web/api_params.py), also read by /openapi.json
MAX_QUERY = PARAMS["q"].max_length            # characters of `q`, on search and article pages alike
MAX_DATE = PARAMS["from"].max_length          # characters of `from` / `to` (a pasted date line fits)
MAX_PLACE = PARAMS["district"].max_length     # characters of one `district` / `oblast` value
SORTS = PARAMS["sort"].enum


class BadRequest(Exception):
    """A parameter the user must fix; rendered as HTTP 400 with this message."""


@dataclass
class SearchArgs:
    q: str
    page: int
    per_page: int
    filters: Filters
    sort: str | None
    raw: dict            # the parameters as given, to build links


def _int(args, name: str, default: int, lo: int, hi: int | None = None) -> int:
    value = args.get(name, "").strip()
    if not value:
        return default
    try:
        n = int(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a whole number, got {shown(value)}") from None
    if n < lo or (hi is not None and n > hi):
        raise BadRequest(f"'{name}' must be between {lo} and {hi}" if hi else f"'{name}' must be at least {lo}")
    return n


def query_arg(args) -> str:
    """``q``, at most ``MAX_QUERY`` characters (else a 400 that echoes only its start)."""
    q = args.get("q", "")
    if len(q) > MAX_QUERY:
        raise BadRequest(f"'q' is too long ({len(q)} characters, {MAX_QUERY} at most): {shown(q)}")
    return q


def _check_length(args, name: str, limit: int) -> None:
    for value in args.getlist(name):
        if len(value) > limit:
            raise BadRequest(f"'{name}' is too long ({len(value)} characters, {limit} at most): {shown(value)}")


def search_args(args, default_per_page: int = 10) -> SearchArgs:
    q = query_arg(args)
    page = _int(args, "page", PARAMS["page"].default, PARAMS["page"].minimum, PARAMS["page"].maximum)
    per_page = _int(args, "per_page", default_per_page, PARAMS["per_page"].minimum, PARAMS["per_page"].maximum)
    sort = args.get("sort", "").strip() or None
    if sort is not None and sort not in SORTS:
        raise BadRequest(f"'sort' must be one of: {', '.join(SORTS)}")
    for name, limit in (("from", MAX_DATE), ("to", MAX_DATE), ("district", MAX_PLACE), ("oblast", MAX_PLACE)):
        _check_length(args, name, limit)
    try:
        filters = make_filters(args.get("from"), args.get("to"),
                               args.getlist("district"), args.getlist("oblast"))
    except InvalidFilter as exc:
        raise BadRequest(str(exc)) from None
    raw = {
        "q": q, "from": args.get("from", ""), "to": args.get("to", ""),
        "district": list(filters.districts), "oblast": list(filters.oblasts),
        "sort": sort or "", "per_page": per_page if "per_page" in args else "",
    }
    return SearchArgs(q, page, per_page, filters, sort, raw)
