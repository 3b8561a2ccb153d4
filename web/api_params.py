"""The request parameters as data: one table read by the request parsing (``web/params.py``,
``web/export.py``, ``web/feeds.py``) and by the OpenAPI generator (``web/openapi.py``), so the
documented API is the API that runs."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from indexer.fields import value_facets
from search.engine import MAX_PER_PAGE, SORTS

from web.safety import shown

# ``web.params`` reads its limits from this table, so this module imports nothing from it at load
# time: the parse helpers below import ``BadRequest`` (and its whole-number parsing) when called.


@dataclass(frozen=True)
class Param:
    name: str
    type: str                      # "string" | "integer"
    description: str
    default: object = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    repeatable: bool = False
    example: object = None

    def schema(self) -> dict:
        """The JSON Schema (OpenAPI 3.1) of one value, as parsing checks it."""
        s: dict = {"type": self.type}
        if self.enum:
            s["enum"] = list(self.enum)
        if self.minimum is not None:
            s["minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        if self.max_length is not None:
            s["maxLength"] = self.max_length
        if self.default is not None:
            s["default"] = self.default
        if self.repeatable:
            s = {"type": "array", "items": s}
        return s


FACETS = value_facets()     # district, oblast, topic: the filters by facet values
_DATE = ("a date: 2025, 2025-03, 2025-03-14 or any date format of Kyrgyz sites (10.12.2025, "
         "14-март 2025…)")
PARAMS: dict[str, Param] = {p.name: p for p in (
    Param("q", "string", "The query: words in any form, \"phrases\", prefix*, A OR B, -excluded, title:word. "
          "Empty: every article (with the filters).", default="", max_length=1000, example="коррупция"),
    Param("page", "integer", "Result page, from 1.", default=1, minimum=1, maximum=10_000),
    Param("per_page", "integer", "Results per page.", default=10, minimum=1, maximum=MAX_PER_PAGE),
    Param("from", "string", "Only articles dated on or after " + _DATE + " (a year or month: its first day).",
          max_length=100, example="2024"),
    Param("to", "string", "Only articles dated on or before " + _DATE + " (a year or month: its last day).",
          max_length=100, example="2025-06"),
    # one repeatable parameter per value facet of the field registry (indexer/fields.py)
    *(Param(f.name, "string", f.help, max_length=f.max_length, repeatable=True) for f in FACETS),
    Param("sort", "string", "Order: relevance (default with words), newest (default without), oldest.",
          enum=SORTS),
    Param("format", "string", "The export format: csv (UTF-8 with a byte-order mark, for spreadsheets) "
          "or jsonl (one JSON object per line).", default="csv", enum=("csv", "jsonl")),
    Param("fields", "string", "Extra fields to export: body (the whole article text). Repeatable or "
          "comma-separated.", enum=("body",), repeatable=True),
    Param("timeline_format", "string", "json or csv.", default="json", enum=("json", "csv")),
    Param("limit", "integer", "How many of the newest matching dated articles the feed holds.",
          default=50, minimum=1, maximum=200),
)}
# the parameter a query string spells differently from its table name
WIRE_NAME = {"timeline_format": "format"}
FILTERS = ("from", "to", *(f.name for f in FACETS))
SEARCH = ("q", *FILTERS, "sort", "page", "per_page")


def wire(name: str) -> str:
    return WIRE_NAME.get(name, name)


def int_arg(args, name: str) -> int:
    """An integer parameter within its table limits (a 400 otherwise, with ``web.params``' message)."""
    from web.params import _int
    p = PARAMS[name]
    return _int(args, wire(name), p.default, p.minimum, p.maximum)


def choice_arg(args, name: str):
    """An enumerated parameter: its value, the default when absent, a 400 when not allowed."""
    from web.params import BadRequest
    p = PARAMS[name]
    key = wire(name)
    value = args.get(key, "").strip()
    if not value:
        return p.default
    if value not in p.enum:
        # the msgid of every enumerated parameter (``sort`` too: web/params.py)
        raise BadRequest(_l("'%(name)s' булардын бири болушу керек: %(choices)s", name=key,
                            choices=", ".join(p.enum)))
    return value


def list_choice_arg(args, name: str) -> list[str]:
    """A repeatable enumerated parameter, also comma-separated: its distinct values in order."""
    from web.params import BadRequest
    p = PARAMS[name]
    key = wire(name)
    out: list[str] = []
    for raw in args.getlist(key):
        for value in (v.strip() for v in raw.split(",")):
            if not value:
                continue
            if value not in p.enum:
                raise BadRequest(_l("'%(name)s' булардын бири болушу керек: %(choices)s, берилгени: %(value)s",
                                    name=key, choices=", ".join(p.enum), value=shown(value)))
            if value not in out:
                out.append(value)
    return out


def check_lengths(args, names) -> None:
    """Every value of these parameters within its ``max_length`` (a 400 that echoes only its start)."""
    from web.params import BadRequest
    for name in names:
        p = PARAMS[name]
        if p.max_length is None:
            continue
        for value in args.getlist(wire(name)):
            if len(value) > p.max_length:
                raise BadRequest(_l("'%(name)s' өтө узун (%(length)s белги, эң көп %(limit)s): %(value)s",
                                    name=wire(name), length=len(value), limit=p.max_length,
                                    value=shown(value)))
