"""Journalists' filters: a period and places, read from what a user typed."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from indexer import dates, places


class InvalidFilter(ValueError):
    """A filter value that cannot be understood; the message says which and why."""


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    districts: tuple[str, ...] = ()
    oblasts: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.districts or self.oblasts)


def _values(raw: Iterable[str] | str | None) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    return [v.strip() for v in raw if v and v.strip()]


def make_filters(date_from: str | None = None, date_to: str | None = None,
                 districts: Iterable[str] | str | None = None,
                 oblasts: Iterable[str] | str | None = None) -> Filters:
    """Filters from user input (``from``/``to`` as ``2025``, ``2025-03``, ``2025-03-14`` or any
    date format of Kyrgyz sites; place names in any known spelling)."""
    start = end = None
    try:
        if date_from and date_from.strip():
            start = dates.parse_filter_date(date_from.strip(), end=False)
        if date_to and date_to.strip():
            end = dates.parse_filter_date(date_to.strip(), end=True)
    except ValueError as exc:
        raise InvalidFilter(str(exc)) from None
    if start and end and start > end:
        raise InvalidFilter(f"'from' ({start.isoformat()}) is after 'to' ({end.isoformat()})")
    found_d, found_o = [], []
    for value in _values(districts):
        name = places.canonical_district(value)
        if name is None:
            raise InvalidFilter(f"unknown district {value!r}")
        found_d.append(name)
    for value in _values(oblasts):
        name = places.canonical_oblast(value)
        if name is None:
            raise InvalidFilter(f"unknown oblast {value!r}")
        found_o.append(name)
    return Filters(start, end, tuple(sorted(set(found_d))), tuple(sorted(set(found_o))))
