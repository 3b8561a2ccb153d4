"""Journalists' filters: a period and facet values (places, topics…), read from what a user typed.

Which facets there are is the field registry's (``indexer/fields.py``): ``Filters`` holds the
chosen values of each value facet by name, and answers ``f.districts`` / ``f.topics`` (a facet's
plural) for any registry facet."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from indexer import dates
from indexer import fields as registry


class InvalidFilter(ValueError):
    """A filter value that cannot be understood; the message says which and why."""


class ImpossibleDateFilter(InvalidFilter):
    """A ``from``/``to`` written as a date whose day, month or year cannot be (``31.02.2025``)."""


@dataclass(frozen=True, init=False)
class Filters:
    """A period and, per value facet, the values chosen (ORed within a facet, ANDed across).
    Hashable (a cache key): ``chosen`` is ((facet name, sorted values), …) in registry order,
    facets without values left out."""
    date_from: dt.date | None
    date_to: dt.date | None
    chosen: tuple[tuple[str, tuple[str, ...]], ...]

    def __init__(self, date_from: dt.date | None = None, date_to: dt.date | None = None,
                 chosen: Mapping[str, Iterable[str]] | Iterable = (), **by_plural: Iterable[str]):
        values = dict(chosen)
        for key, given in by_plural.items():
            try:
                values[registry.by_plural(key).name] = given
            except KeyError:
                raise TypeError(f"Filters() got an unexpected keyword argument {key!r}") from None
        object.__setattr__(self, "date_from", date_from)
        object.__setattr__(self, "date_to", date_to)
        object.__setattr__(self, "chosen", tuple(
            (f.name, tuple(sorted(set(values[f.name])))) for f in registry.value_facets() if values.get(f.name)))

    def values(self, name: str) -> tuple[str, ...]:
        """The chosen values of the facet ``name`` (``()`` if none)."""
        return dict(self.chosen).get(name, ())

    def only(self, name: str) -> "Filters":
        """The filter of one facet alone: the period for the year, else its chosen values."""
        if registry.facet(name).kind == registry.YEAR:
            return Filters(self.date_from, self.date_to)
        return Filters(chosen={name: self.values(name)})

    def __getattr__(self, name: str):
        # f.districts, f.oblasts, f.topics: a registry facet's plural
        if not name.startswith("_"):
            try:
                return self.values(registry.by_plural(name).name)
            except KeyError:
                pass
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.chosen)


def _values(raw: Iterable[str] | str | None) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    return [v.strip() for v in raw if v and v.strip()]


def facet_values(facet: registry.Facet, raw: Iterable[str] | str | None) -> list[str]:
    """The values to filter by (a place in any known spelling → its canonical name; a keyword
    trimmed); ``InvalidFilter`` naming the first value that is not one of the facet."""
    found = []
    for value in _values(raw):
        name = facet.canonical_value(value)
        if name is None:
            raise InvalidFilter(f"unknown {facet.name} {value!r}")
        found.append(name)
    return found


def make_filters(date_from: str | None = None, date_to: str | None = None,
                 **by_plural: Iterable[str] | str | None) -> Filters:
    """Filters from user input (``from``/``to`` as ``2025``, ``2025-03``, ``2025-03-14`` or any
    date format of Kyrgyz sites; ``districts=…``, ``oblasts=…``, ``topics=…``: a registry facet's
    plural (or name) → the values typed)."""
    start = end = None
    try:
        if date_from and date_from.strip():
            start = dates.parse_filter_date(date_from.strip(), end=False)
        if date_to and date_to.strip():
            end = dates.parse_filter_date(date_to.strip(), end=True)
    except dates.ImpossibleDate as exc:
        raise ImpossibleDateFilter(str(exc)) from None
    except ValueError as exc:
        raise InvalidFilter(str(exc)) from None
    if start and end and start > end:
        raise InvalidFilter(f"'from' ({start.isoformat()}) is after 'to' ({end.isoformat()})")
    chosen = {}
    for key, raw in by_plural.items():
        try:
            facet = registry.by_plural(key)
        except KeyError:
            raise TypeError(f"make_filters() got an unexpected keyword argument {key!r}") from None
        chosen[facet.name] = facet_values(facet, raw)
    return Filters(start, end, chosen)
