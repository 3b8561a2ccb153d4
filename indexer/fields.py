"""The registry of a document's fields: what is searched (with which weight), what is a facet
(of which kind, read from which document attribute, asked for with which parameter, shown under
which heading) and what is only stored.

Everything that names a field reads it here: the Whoosh schema and a document's index fields
(``indexer/schema.py``), the manifest's field list (``indexer/lang.py``), the text fields of
queries and compact postings, ``search.filters.Filters``, the engine's filters and disjunctive
facet counts (``search/facets.py``), the request parameters and their OpenAPI description
(``web/api_params.py``), the API's filter echo, the search page's facet loop, chips and links,
the feed's title and ``kgsearch search/export``'s options.  Adding a facet is one ``Facet``
entry below (and its label's translations).  No Whoosh here: this module is plain data.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


def N_(msgid: str) -> str:
    """Marks a Kyrgyz UI msgid for ``pybabel extract`` (translated where it is shown)."""
    return msgid


@dataclass(frozen=True)
class TextField:
    name: str
    boost: float                  # BM25F weight of a match in this field
    # a query names it (``title:word``), and its matches decide what a query finds, counts and
    # marks; a field that is not queried only adds to the scores of the documents found
    queried: bool = True
    # how the field's text is made from a document when that is a rule of ours, not a field of
    # the input (recorded in the manifest: an index made by another rule needs a reindex)
    rule: str = ""


# ``lead``: the body's first sentence (``documents.lead_sentence``), for every document, titled
# or not: news is written lead-first, so another outlet's headline is mostly restated there.
# It is part of the body, so it only scores; its weight (a fraction of the body's) was set on
# bench/eval: 0.25 on its first sets (RESULTS.md "A lead field"), 0.5 on the sets that model
# another outlet's headlines (RESULTS.md "Another outlet's headlines").  A title the input gives
# keeps its ×2.5; a document without one gets no title to score (indexer/schema.py
# ``indexed_title``).
TEXT_FIELDS = (TextField("title", 2.5), TextField("body", 1.0),
               TextField("lead", 0.5, queried=False,
                         rule="lead-2: the first sentence, joined with the next ones to 4 words"))
TEXT_FIELD_NAMES = tuple(f.name for f in TEXT_FIELDS)
QUERY_FIELD_NAMES = tuple(f.name for f in TEXT_FIELDS if f.queried)
SCORE_FIELD_NAMES = tuple(f.name for f in TEXT_FIELDS if not f.queried)
BOOSTS = {f.name: f.boost for f in TEXT_FIELDS}

# facet kinds
PLACE = "place"          # gazetteer units found in the text; a value typed in any known spelling
KEYWORDS = "keywords"    # a list of values the input gives (JSON Lines ``topics``), kept as spelled
YEAR = "year"            # the year of the ``date`` column; its filter is the period (from / to)


def _district(value: str) -> str | None:
    from indexer import places     # places reads the data tables: only when a value is checked
    return places.canonical_district(value)


def _oblast(value: str) -> str | None:
    from indexer import places
    return places.canonical_oblast(value)


_SPACES = re.compile(r"\s+")


def clean_value(value: str) -> str | None:
    """A keyword value as it is indexed and asked for: white space trimmed and collapsed to one
    space (a value never holds a line break, the separator in the index), else as spelled."""
    text = _SPACES.sub(" ", value).strip()
    return text or None


def json_kind(value) -> str:
    """What a JSON value is, in the words of a message (``a number``, ``true/false``, ...)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def keywords_problem(name: str, value) -> str | None:
    """Why the JSON value ``value`` cannot be the values of the keyword field ``name`` (one
    string, or a list of strings — whole numbers are taken as text —, or null/absent), or None.
    Any other value (a number, true/false, an object, a list holding one of those) is an error
    of its line: ``clean_values`` never guesses (it would iterate an object's keys)."""
    if value is None or isinstance(value, str):
        return None
    if not isinstance(value, list):
        return f'"{name}" must be a string or a list of strings, not {json_kind(value)}'
    for n, item in enumerate(value, 1):
        if not isinstance(item, str) and not (isinstance(item, int) and not isinstance(item, bool)):
            return f'"{name}" must be a string or a list of strings (item {n} is {json_kind(item)})'
    return None


def clean_values(values: Iterable | str | None) -> list[str]:
    """The distinct clean values, in their first spelling (``Politics`` and ``politics`` are one).
    ``values``: one string or an iterable of them (whole numbers are taken as text); anything
    else (a number, a mapping) is a ``TypeError`` — ``keywords_problem`` tells the input why."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    elif isinstance(values, (dict, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"keyword values must be a string or a list of strings, not {json_kind(values)}")
    out, seen = [], set()
    for raw in values:
        text = clean_value(str(raw)) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out


@dataclass(frozen=True)
class Facet:
    """One facet.  ``name`` is at once the index field (but for the year: ``date``), the key of
    ``result["facets"]``, the URL parameter (``district=…``, repeatable) and the command-line
    option (``--district``); ``plural`` is the ``Filters`` / ``make_filters`` keyword and the
    ``Document`` attribute the values are read from (``source`` when that is another one)."""
    name: str
    kind: str                                  # PLACE | KEYWORDS | YEAR
    plural: str
    label: str                                 # the sidebar heading: a Kyrgyz msgid
    help: str = ""                             # the parameter's description (API, command line)
    canonical: Callable[[str], str | None] | None = None   # typed value → indexed one (None: unknown)
    unknown: str = ""                          # msgid of the 400 for a value ``canonical`` rejects
    source: str = ""                           # the Document attribute, when not ``plural``
    shown: int = 8                             # values listed before "show more"
    display: str = ""                          # how a page shows a value: "place", "topic" (web/views.py)
    max_length: int = 100                      # characters of one value of the parameter

    @property
    def field(self) -> str:
        return "date" if self.kind == YEAR else self.name

    @property
    def filterable(self) -> bool:
        """A value facet: filtered by its own parameter (the year's filter is the period)."""
        return self.kind != YEAR

    def canonical_value(self, value: str) -> str | None:
        """The value to filter by, or ``None`` when it is not a value of this facet."""
        if self.canonical is not None:
            return self.canonical(value)
        return clean_value(value)

    def document_values(self, doc) -> list[str]:
        """The document's values of this facet, as indexed."""
        raw = getattr(doc, self.source or self.plural, None)
        if raw is None:
            return []
        if isinstance(raw, str):
            raw = [raw]
        return list(raw) if self.kind == PLACE else clean_values(raw)


# The sidebar shows them in this order.
FACETS: tuple[Facet, ...] = (
    Facet("year", YEAR, "years", N_("Жыл")),
    Facet("oblast", PLACE, "oblasts", N_("Облус"),
          help="Only articles mentioning this oblast (any known spelling); repeat for several: any of them.",
          canonical=_oblast, unknown=N_("белгисиз облус: %(value)s"), display="place"),
    Facet("district", PLACE, "districts", N_("Район"),
          help="Only articles mentioning this district (any known spelling); repeat for several: any of them.",
          canonical=_district, unknown=N_("белгисиз район: %(value)s"), display="place"),
    Facet("topic", KEYWORDS, "topics", N_("Тема"),
          help="Only articles with this topic (the JSON Lines `topics` list; letter case aside); repeat "
               "for several: any of them.", shown=10, display="topic"),
)

STORED_FIELDS = ("title_source", "date_source", "date_evidence", "views", "url", "source", "topics", "hash")


def value_facets() -> tuple[Facet, ...]:
    """The facets filtered by their own parameter (district, oblast, topic)."""
    return tuple(f for f in FACETS if f.filterable)


def facet(name: str) -> Facet:
    for f in FACETS:
        if f.name == name:
            return f
    raise KeyError(name)


def by_plural(plural: str) -> Facet:
    for f in value_facets():
        if plural in (f.plural, f.name):
            return f
    raise KeyError(plural)


def field_rules() -> dict[str, str]:
    """The rule each derived text field is made by (``TextField.rule``), recorded in the manifest."""
    return {f.name: f.rule for f in TEXT_FIELDS if f.rule}


def index_fields() -> list[str]:
    """The indexed fields the code expects, recorded in each generation's manifest: an index
    without one of them (built before it was added) needs a reindex."""
    return ["id", *TEXT_FIELD_NAMES, *dict.fromkeys(f.field for f in FACETS)]
