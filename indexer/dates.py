"""Publication dates from Kyrgyz (and Russian) page headers, JSONL fields and body text.

Formats ``parse_date`` reads (anywhere in the given line; the leftmost date wins):

* ``10.12.2025``, ``23.04.2020 13:54``, ``10/12/2025``, ``10-12-2025``   day.month.year
* ``2025-09-18``, ``2025-09-18T10:00:00+06:00``                         ISO year-month-day
* ``2026-24-02, 14:05``   year-day-month, accepted only when the middle field is over 12
* ``08-Сентябрь 2013-ж.``, ``06 июня 2023``, ``11:47, 12 января 2024, Бишкек - 24.kg``,
  ``9-декабрь, 2025-жыл``, ``5 Бугу 2024``                              day month-name year
* ``№549 10-май-16-май, 2013-ж``   an issue line covering a range: its first day
* ``2025-жылдын 9-декабрында``, ``2025-ж. 9-декабрда``                  year-жылдын day-month
* ``Dec 10, 2025`` / ``10 Dec 2025``  (feeds)

Month names are data (``data/lang/months.tsv``): Kyrgyz names with any case ending
(``декабрында``, ``ноябрда``, ``июнундагы``), Russian nominative and genitive, the
traditional Kyrgyz names (Үчтүн айы … Бештин айы), and English abbreviations.  Text
is lowercased and keyboard-folded (ң→н ө→о ү→у) before matching, so ``Учтун айы``
typed on a Russian keyboard works too.

Impossible dates are rejected: 31.02, month 13, and years outside 1991..2100 (the
sane range for Kyrgyz news; anything else is a typo, a birth date or a citation of a
Soviet-era act).

Body-date rule (``find_body_date``): take the FIRST full date (day, month and year)
in the body that is not the date of a cited document.  A date is a citation
(``data/lang/date_citations.tsv``) when

* a ``№`` follows within three words (``5-июнундагы ПЖ №137``, ``от 5 июня 2024 года №137``), or
* the Russian word ``от`` stands right before it (``Указом … от 5 июня 2024 года``), or
* its Kyrgyz month word carries the attributive "dated" ending ``-дагы`` and a document
  word (Жарлык, токтом, мыйзам, буйрук, тескеме, чечим …) follows within four words,
  skipping a «quoted title» (``2024-жылдын 5-июнундагы «…» Жарлыгын``).

A locative event date stays an event date even when a document word follows it
("9-декабрда сот чечим чыгарды").  If every full date in the body is a citation the
body gives NO date (None): a law's date says when the law was adopted, not when the
text was written, and an undated document stays searchable anyway.  Partial dates
(``ушул жылдын 28-апрелинде`` — no year) are never used.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import re
from functools import lru_cache

from indexer import lang

MIN_YEAR = 1991
MAX_YEAR = 2100

_read = lang.read_table
_fold = lang.match_fold


def _load_months() -> tuple[dict[str, int], str]:
    forms: dict[str, int] = {}
    parts: list[tuple[str, str]] = []
    for row in _read("months.tsv"):
        month = int(row["month"])
        for spelling in {_fold(row["form"])}:
            words = spelling.split()
            pat = r"\s+".join(re.escape(w) for w in words)
            if row["match"] == "stem":
                pat += r"[^\W\d_]*"
            else:
                pat += r"(?![^\W\d_])"
            forms[spelling] = month
            parts.append((spelling, pat))
    parts.sort(key=lambda p: -len(p[0]))
    return forms, "|".join(f"(?:{pat})" for _, pat in parts)


_MONTH_FORMS, _MONTH_ALT = _load_months()
_MONTH_LOOKUP = sorted(_MONTH_FORMS.items(), key=lambda kv: -len(kv[0]))


@lru_cache(maxsize=4096)
def _month_of(word: str) -> int | None:
    word = re.sub(r"\s+", " ", word)
    for form, month in _MONTH_LOOKUP:
        if word.startswith(form):
            return month
    return None


_M = rf"(?P<mon>{_MONTH_ALT})"
_SEP = r"\s*[-.]?\s*"
_YEAR_WORD = r"(?:жылдын|жылы|жыл|ж\.?)"

_PATTERNS: list[tuple[str, re.Pattern]] = [
    # 2025-жылдын 9-декабрында
    ("ydm_named", re.compile(
        rf"(?<!\d)(?P<y>\d{{4}})\s*-?\s*{_YEAR_WORD}\s*,?\s*(?P<d>\d{{1,2}})(?!\d){_SEP}{_M}")),
    # 08-Сентябрь 2013-ж. / 06 июня 2023 / 10-май-16-май, 2013-ж / 10-16 мая 2013
    ("dmy_named", re.compile(
        rf"(?<!\d)(?P<d>\d{{1,2}})(?:\s*-\s*\d{{1,2}})?(?!\d){_SEP}{_M}\.?"
        rf"(?:\s*-\s*\d{{1,2}}{_SEP}(?:{_MONTH_ALT})\.?)?[\s,]*(?P<y>\d{{4}})(?!\d)")),
    # Dec 10, 2025
    ("mdy_named", re.compile(
        rf"(?<![^\W\d_]){_M}\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})(?!\d)")),
    # 2025-09-18, 2026-24-02
    ("ymd_num", re.compile(
        r"(?<![\d.\-/])(?P<y>\d{4})(?P<s>[-./])(?P<a>\d{1,2})(?P=s)(?P<b>\d{1,2})(?![\d])")),
    # 10.12.2025
    ("dmy_num", re.compile(
        r"(?<![\d.\-/])(?P<d>\d{1,2})(?P<s>[./-])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})(?![\d])")),
]


def _make_date(y: int, m: int, d: int) -> _dt.date | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def _date_of(kind: str, m: re.Match) -> _dt.date | None:
    g = m.groupdict()
    if kind in ("ydm_named", "dmy_named", "mdy_named"):
        month = _month_of(g["mon"])
        if month is None:
            return None
        return _make_date(int(g["y"]), month, int(g["d"]))
    if kind == "ymd_num":
        y, a, b = int(g["y"]), int(g["a"]), int(g["b"])
        if a <= 12:
            return _make_date(y, a, b)
        return _make_date(y, b, a)  # year-day-month: only when the middle field is over 12
    return _make_date(int(g["y"]), int(g["m"]), int(g["d"]))


def _matches(folded: str):
    """Every date-shaped match: (start, end, date or None, match, kind), sorted by start."""
    found = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            found.append((m.start(), -(m.end() - m.start()), m.end(), kind, m))
    found.sort(key=lambda f: (f[0], f[1]))
    out = []
    last_end = -1
    for start, _neg, end, kind, m in found:
        if start < last_end:
            continue  # overlaps a longer / earlier reading
        out.append((start, end, _date_of(kind, m), m, kind))
        last_end = end
    return out


def parse_date(text: str) -> _dt.date | None:
    """The date in a header line or a JSONL ``date`` field; None when there is none."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        matches = _matches(_fold(text[:2000]))
    except Exception:  # pragma: no cover - defensive: never raise on odd input
        return None
    for _start, _end, date, _m, _kind in matches:
        return date  # the leftmost date-shaped string decides; impossible → None
    return None


# ---------------------------------------------------------------- body dates

def _load_citations():
    number, before, attributive, document = set(), set(), [], []
    for row in _read("date_citations.tsv"):
        marker = _fold(row["marker"])
        role = row["role"]
        if role == "number":
            number.add(marker)
        elif role == "before":
            before.add(marker)
        elif role == "attributive":
            attributive.append(marker)
        elif role == "document":
            document.append(marker)
        else:  # pragma: no cover - data error
            raise ValueError(f"date_citations.tsv: unknown role {role!r}")
    return number, before, tuple(attributive), tuple(document)


_NUMBER_MARKS, _BEFORE_WORDS, _ATTRIBUTIVE, _DOCUMENT_WORDS = _load_citations()
_WORD_RE = re.compile(r"№|[^\W_]+")
_QUOTED_RE = re.compile(r"\s*[«\"“„][^»\"”“]{0,300}[»\"”“]")


def _is_citation(folded: str, start: int, end: int, m: re.Match) -> bool:
    before = _WORD_RE.findall(folded[max(0, start - 20):start])
    if before and before[-1] in _BEFORE_WORDS:
        return True
    after_text = folded[end:end + 400]
    after = _WORD_RE.findall(after_text[:80])
    if any(w in _NUMBER_MARKS for w in after[:3]):
        return True
    month_word = m.group("mon") if "mon" in m.groupdict() and m.group("mon") else ""
    if month_word and month_word.endswith(_ATTRIBUTIVE):
        q = _QUOTED_RE.match(after_text)
        if q:
            after_text = after_text[q.end():]
        words = _WORD_RE.findall(after_text[:120])[:4]
        if any(w.startswith(_DOCUMENT_WORDS) for w in words):
            return True
    return False


def body_dates(body: str) -> list[tuple[_dt.date, bool]]:
    """All valid full dates in a body, in order, each with "is a citation"."""
    if not body:
        return []
    folded = _fold(body)
    out = []
    for start, end, date, m, _kind in _matches(folded):
        if date is not None:
            out.append((date, _is_citation(folded, start, end, m)))
    return out


def find_body_date(body: str) -> _dt.date | None:
    """The first full date in the body that is not a cited document's date (see module doc)."""
    try:
        for date, citation in body_dates(body or ""):
            if not citation:
                return date
    except Exception:  # pragma: no cover - defensive
        return None
    return None


def extract_date(header_date: str | None, field_date: str | None,
                 body: str) -> tuple[_dt.date | None, str]:
    """(date, source): the page header first, then the JSONL field, then the body."""
    for value, source in ((header_date, "header"), (field_date, "field")):
        if value:
            date = parse_date(value)
            if date is not None:
                return date, source
    date = find_body_date(body or "")
    if date is not None:
        return date, "body"
    return None, "none"


# ---------------------------------------------------------------- filters

_FILTER_FORMS = ("YYYY (2025), YYYY-MM (2025-03), YYYY-MM-DD (2025-03-14), "
                 "DD.MM.YYYY (14.03.2025), a month name with a year (март 2025), "
                 "or a full date such as '14 марта 2025' or '2025-жылдын 14-мартында'")
_YEAR_RE = re.compile(r"(\d{4})(?:\s*-?\s*(?:жылы|жыл|ж\.?|г\.?|года?))?")
_YM_RE = re.compile(r"(\d{4})[-./](\d{1,2})")
_MY_RE = re.compile(r"(\d{1,2})[./](\d{4})")
_MONTH_YEAR_RE = re.compile(rf"{_M}\.?[\s,]*(?P<y>\d{{4}})\s*(?:-?\s*(?:жылы|жыл|ж\.?|г\.?|года?))?")
_YEAR_MONTH_RE = re.compile(rf"(?P<y>\d{{4}})\s*-?\s*(?:{_YEAR_WORD}\s*)?{_M}")


def _bound(year: int, month: int | None, end: bool, value: str) -> _dt.date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"date {value!r}: year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
    if month is None:
        return _dt.date(year, 12, 31) if end else _dt.date(year, 1, 1)
    if not 1 <= month <= 12:
        raise ValueError(f"date {value!r}: month {month} is not 1..12")
    if end:
        return _dt.date(year, month, calendar.monthrange(year, month)[1])
    return _dt.date(year, month, 1)


def parse_filter_date(value: str, end: bool = False) -> _dt.date:
    """A ``from``/``to`` filter value → a date; a year or month is its first (or, with
    ``end=True``, its last) day.  Raises ValueError naming the value and the accepted forms."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"empty date {value!r}: expected {_FILTER_FORMS}")
    text = _fold(value.strip())
    m = _YEAR_RE.fullmatch(text)
    if m:
        return _bound(int(m.group(1)), None, end, value)
    for rx, yi, mi in ((_YM_RE, 1, 2), (_MY_RE, 2, 1)):
        m = rx.fullmatch(text)
        if m:
            return _bound(int(m.group(yi)), int(m.group(mi)), end, value)
    matches = _matches(text)
    if matches:
        date = matches[0][2]
        if date is not None:
            return date  # every line parse_date accepts (incl. "11:47, 12 января 2024, Бишкек")
        start, stop = matches[0][0], matches[0][1]
        if not re.search(r"\d", text[:start] + text[stop:]):
            raise ValueError(f"{value!r} is not a valid calendar date (day or month out of "
                             f"range, or year outside {MIN_YEAR}..{MAX_YEAR}); "
                             f"expected {_FILTER_FORMS}")
    for rx in (_MONTH_YEAR_RE, _YEAR_MONTH_RE):
        m = rx.fullmatch(text)
        if m:
            month = _month_of(m.group("mon"))
            if month is not None:
                return _bound(int(m.group("y")), month, end, value)
    raise ValueError(f"not a date: {value!r}; expected {_FILTER_FORMS}")
