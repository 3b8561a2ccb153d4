"""Request parameters → search arguments, with a clear message for anything wrong."""
from __future__ import annotations

from dataclasses import dataclass

from search.engine import MAX_PER_PAGE, SORTS
from search.filters import Filters, InvalidFilter, make_filters


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
        raise BadRequest(f"'{name}' must be a whole number, got {value!r}") from None
    if n < lo or (hi is not None and n > hi):
        raise BadRequest(f"'{name}' must be between {lo} and {hi}" if hi else f"'{name}' must be at least {lo}")
    return n


def search_args(args, default_per_page: int = 10) -> SearchArgs:
    q = args.get("q", "")
    if len(q) > 1000:
        raise BadRequest("'q' is too long (1000 characters at most)")
    page = _int(args, "page", 1, 1, 10_000)
    per_page = _int(args, "per_page", default_per_page, 1, MAX_PER_PAGE)
    sort = args.get("sort", "").strip() or None
    if sort is not None and sort not in SORTS:
        raise BadRequest(f"'sort' must be one of: {', '.join(SORTS)}")
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
