"""Request parameters → search arguments, with a clear message for anything wrong."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from indexer.dates import MAX_YEAR, MIN_YEAR
from search.filters import Filters, ImpossibleDateFilter, InvalidFilter, facet_values, make_filters
from web.api_params import FACETS, FILTERS, PARAMS
from web.safety import shown

# the limits, defaults and choices live in one table (web/api_params.py), also read by /openapi.json
MAX_QUERY = PARAMS["q"].max_length            # characters of `q`, on search and article pages alike
MAX_DATE = PARAMS["from"].max_length          # characters of `from` / `to` (a pasted date line fits)
SORTS = PARAMS["sort"].enum
# a whole number as typed: ASCII digits only (not int()'s "1_0" or full-width "１"); a minus sign is
# read so that "-1" gets the range message
_WHOLE = re.compile(r"-?[0-9]+")


class BadRequest(Exception):
    """A parameter the user must fix; rendered as HTTP 400 with this message (a lazy catalogue
    string: ``str(exc)`` is the message in the request's language)."""


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
        if not _WHOLE.fullmatch(value):
            raise ValueError(value)
        n = int(value)
    except ValueError:
        raise BadRequest(_l("'%(name)s' бүтүн сан болушу керек, берилгени: %(value)s",
                            name=name, value=shown(value))) from None
    if n < lo or (hi is not None and n > hi):
        if hi:
            raise BadRequest(_l("'%(name)s' %(lo)s менен %(hi)s ортосунда болушу керек", name=name, lo=lo, hi=hi))
        raise BadRequest(_l("'%(name)s' кеминде %(lo)s болушу керек", name=name, lo=lo))
    return n


def query_arg(args) -> str:
    """``q``, at most ``MAX_QUERY`` characters (else a 400 that echoes only its start)."""
    q = args.get("q", "")
    if len(q) > MAX_QUERY:
        raise BadRequest(_l("'%(name)s' өтө узун (%(length)s белги, эң көп %(limit)s): %(value)s",
                            name="q", length=len(q), limit=MAX_QUERY, value=shown(q)))
    return q


def _check_length(args, name: str, limit: int) -> None:
    for value in args.getlist(name):
        if len(value) > limit:
            raise BadRequest(_l("'%(name)s' өтө узун (%(length)s белги, эң көп %(limit)s): %(value)s",
                                name=name, length=len(value), limit=limit, value=shown(value)))


def _filters(args) -> Filters:
    """``make_filters`` with a message from the catalogue naming the value it could not read."""
    try:
        return make_filters(args.get("from"), args.get("to"),
                            **{f.plural: args.getlist(f.name) for f in FACETS})
    except InvalidFilter:
        pass
    for name in ("from", "to"):
        value = args.get(name, "")
        try:
            make_filters(**{"date_" + name: value})
        except ImpossibleDateFilter:
            raise BadRequest(_l("'%(name)s': мындай дата жок: %(value)s (күнү, айы же жылы туура эмес; "
                                "жылдар %(first)s…%(last)s)", name=name, value=shown(value),
                                first=MIN_YEAR, last=MAX_YEAR)) from None
        except InvalidFilter:
            raise BadRequest(_l("'%(name)s': бул датаны окуй албайбыз: %(value)s (мисалы: 2024, 2024-06, "
                                "2024-06-15, 15.06.2024)", name=name, value=shown(value))) from None
    for facet in FACETS:
        for value in args.getlist(facet.name):
            try:
                facet_values(facet, [value])
            except InvalidFilter:
                # the facet's own msgid (indexer/fields.py: "белгисиз район: %(value)s")
                raise BadRequest(_l(facet.unknown, value=shown(value))) from None
    raise BadRequest(_l("'from' (%(start)s) 'to' (%(end)s) датасынан кийин",
                        start=shown(args.get("from", "")), end=shown(args.get("to", ""))))


def search_args(args, default_per_page: int = 10) -> SearchArgs:
    q = query_arg(args)
    page = _int(args, "page", PARAMS["page"].default, PARAMS["page"].minimum, PARAMS["page"].maximum)
    per_page = _int(args, "per_page", default_per_page, PARAMS["per_page"].minimum, PARAMS["per_page"].maximum)
    sort = args.get("sort", "").strip() or None
    if sort is not None and sort not in SORTS:
        raise BadRequest(_l("'%(name)s' булардын бири болушу керек: %(choices)s", name="sort",
                            choices=", ".join(SORTS)))
    for name in FILTERS:
        _check_length(args, name, PARAMS[name].max_length)
    filters = _filters(args)
    raw = {
        "q": q, "from": args.get("from", ""), "to": args.get("to", ""),
        **{f.name: list(filters.values(f.name)) for f in FACETS},
        "sort": sort or "", "per_page": per_page if "per_page" in args else "",
    }
    return SearchArgs(q, page, per_page, filters, sort, raw)
