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

Body-date rule (``find_body_date``, ``body_date_evidence``) — precision first: a wrong date is
worse than none, an undated document stays searchable.  A body date is taken only when the text
says it is the day the reported event happened:

* it is in the **lead**: the first paragraph that ends a sentence or has at least eight words
  (not a rubric like ``Тектеш`` or a photo credit), its first three sentences, at most 700
  characters.  Later paragraphs carry background ("Эске салсак, …"), quotes and deadlines;
* it is a full date (day, month, year), not in «quotation marks» (quoted titles, speech), not the
  date of a cited document (``data/lang/date_citations.tsv``: ``№`` after it, Russian ``от``
  before it, ``5-июнундагы … Жарлыгы``);
* nothing in its sentence governs it (``data/lang/date_markers.tsv``): words after it (``чейин``,
  ``бери``, ``тартып``, ``карата``, ``туулган``, ``өтөт``, ``өтө турган``, ``бүтөрүн``, ``кабыл
  алынган`` …), words before it (``Эске салсак``, ``Мындан мурда``, ``мөөнөтү``, Russian ``до``,
  ``с``, ``по состоянию на``, ``родился``, ``состоится``, ``напомним`` …), the ending of its own
  Kyrgyz month word (dative ``11-январга``, ablative ``13-декабрынан``; attributive
  ``9-октябрдагы`` only when a locative noun follows: ``5-июнундагы жыйында``), a sentence
  predicate in ``-ган`` (reported background: ``… 20-апрелинде дайындалган``) or ``-мак``;
  a Kyrgyz day-month with a case ending followed by a year (``17-майда 1999-жылы туулган``) is
  two phrases, not one date;
* it is not in the future (after today) and not historical: no other date of the text that is
  not a deadline or a future event lies more than a year after it.

The first lead date that passes is the date; the sentence (clipped to about 200 characters)
is kept as its evidence (``Document.date_evidence``).  Partial dates (``ушул жылдын
28-апрелинде``, ``Бүгүн, 1-ноябрда``) are never used.  On the 61 24.kg articles the old rule
("the first non-citation date anywhere") dated, 7 were right; the lead rule dates 2, both right
(``tests/data/body_dates_labelled.tsv``, checked by ``tests/test_dates.py``).
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


_DMY_NAMED = dict(_PATTERNS)["dmy_named"]


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


# ---------------------------------------------------------------- header lines

# Words a page's date line may hold besides the date (data/lang/date_line_words.tsv).
_HEADER_DATE_WORDS = frozenset(_fold(row["word"]) for row in _read("date_line_words.tsv"))
_LETTER_WORD = re.compile(r"[^\W\d_]+")


def header_date(line: str) -> tuple[bool, _dt.date | None]:
    """Is ``line`` a page's date line, and its date: ``(True, date)``; ``(True, None)`` for a
    date line whose date cannot be (``31-февраль 2024``, ``29.02.2023``); ``(False, None)``
    for a line that is not just a date — no date in it, or other words besides it
    (``2025-жылдын 9-декабрындагы жыйындын жыйынтыктары`` is a title).  Besides the date only
    year and time words, a weekday and a label (``Жарыяланды:``) may be on the line."""
    if not isinstance(line, str) or not line.strip():
        return False, None
    folded = _fold(line.strip()[:200])
    found = _matches(folded)
    if not found:
        return False, None
    start, end, date, _m, _kind = found[0]
    rest = folded[:start] + " " + folded[end:]
    if any(w not in _HEADER_DATE_WORDS for w in _LETTER_WORD.findall(rest)):
        return False, None
    return True, date


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


# -- markers (data/lang/date_markers.tsv) --------------------------------------------

def _load_markers():
    attached, anchor, before, after, predicate = [], [], [], [], []
    anchor_window = 0
    for row in _read("date_markers.tsv"):
        words = tuple(_fold(row["marker"]).split())
        kind, match, pos = row["kind"], row["match"], row["position"]
        if match not in ("word", "prefix", "ending") or not words:  # pragma: no cover - data error
            raise ValueError(f"date_markers.tsv: bad row {row!r}")
        window = row["window"].strip()
        window = 10_000 if window == "s" else int(window or 0)
        if pos == "attached":
            attached.append((words[0], kind))
        elif pos == "anchor":
            anchor.append(words[0])
            anchor_window = max(anchor_window, window)
        elif pos in ("before", "after"):
            (before if pos == "before" else after).append((words, match, window, kind))
        elif pos == "predicate":
            predicate.append((words[0], match, kind))
        else:  # pragma: no cover - data error
            raise ValueError(f"date_markers.tsv: unknown position {pos!r}")
    attached.sort(key=lambda a: -len(a[0]))
    return tuple(attached), tuple(anchor), anchor_window, before, after, predicate


_ATTACHED, _ANCHORS, _ANCHOR_WINDOW, _BEFORE, _AFTER, _PREDICATE = _load_markers()
_ATTRIBUTIVE_ENDINGS = tuple(e for e, k in _ATTACHED if k == "attributive")
# a sentence ends at . ! ? … followed by space and a capital, a digit or a quote; also at ; and line breaks
_SENT_BREAK = re.compile(r"(?<=[.!?…;])\s+(?=[«\"“A-ZА-ЯЁҢӨҮ0-9])|\n+")
_LEAD_MIN_WORDS = 8       # a shorter first line without a full stop is a rubric or a photo credit
_ENDS_SENTENCE = re.compile(r"[.!?…»\"”]\s*$")
_LEAD_SENTENCES = 3       # 24.kg leads are one to three sentences
_LEAD_MAX_CHARS = 700
_EVIDENCE_CHARS = 200
_FORWARD_KINDS = frozenset({"until", "future", "term"})


def _word_hit(word: str, marker: str, match: str) -> bool:
    if match == "word":
        return word == marker
    if match == "prefix":
        return word.startswith(marker)
    return word.endswith(marker) and len(word) > len(marker)


def _seq_hit(words: list[str], i: int, marker: tuple[str, ...], match: str) -> bool:
    """marker (one or more words) matches words[i:i+len(marker)] (the last word by ``match``)."""
    n = len(marker)
    if i < 0 or i + n > len(words):
        return False
    for k in range(n - 1):
        if words[i + k] != marker[k]:
            return False
    return _word_hit(words[i + n - 1], marker[-1], match)


@lru_cache(maxsize=4096)
def _attached_kind(month_word: str) -> str | None:
    """The kind of the Kyrgyz case ending after the month's stem (декабр|ында → event,
    январ|га → until), None when there is none (декабрь, Russian марта, января)."""
    month_word = re.sub(r"\s+", " ", month_word)
    rest = next((month_word[len(form):] for form, _m in _MONTH_LOOKUP
                 if month_word.startswith(form)), "")
    for ending, kind in _ATTACHED:
        if rest.endswith(ending):
            return kind
    return None


_QUOTE_SPAN_RE = re.compile(r"«[^»]{0,600}»|“[^”]{0,600}”|\"[^\"\n]{0,600}\"")


def _quote_spans(text: str) -> list[tuple[int, int]]:
    return [(q.start(), q.end()) for q in _QUOTE_SPAN_RE.finditer(text)]


def _governing_kind(folded: str, sent_start: int, sent_end: int, start: int, end: int,
                    m: re.Match) -> str | None:
    """Why the date at folded[start:end] is not the day of the reported event, or None."""
    after = _WORD_RE.findall(folded[end:sent_end])
    for words, match, window, kind in _AFTER:
        for i in range(min(window, len(after))):
            if _seq_hit(after, i, words, match):
                return kind
    before = _WORD_RE.findall(folded[sent_start:start])
    for words, match, window, kind in _BEFORE:
        n = len(words)
        for gap in range(min(window, len(before))):
            if _seq_hit(before, len(before) - n - gap, words, match):
                return kind
    mon = m.groupdict().get("mon") or ""
    if mon:
        kind = _attached_kind(mon)
        if kind is not None and m.re is _DMY_NAMED:
            # "17-майда 1999-жылы туулган": a Kyrgyz day-month with a case ending, then a year.
            # A Kyrgyz full date puts the year first (1999-жылдын 17-майында); here the year
            # belongs to the next phrase (born in 1999), not to the day.
            return "split"
        if kind == "attributive":
            if not any(w.endswith(_ANCHORS) and not w.endswith(_ATTRIBUTIVE_ENDINGS)
                       for w in after[:_ANCHOR_WINDOW]):
                return "attributive"
        elif kind is not None and kind != "event":
            return kind
    if after:
        last = after[-1]
        for marker, match, kind in _PREDICATE:
            if _word_hit(last, marker, match):
                return kind
    return None


def _sentence_bounds(text: str) -> list[int]:
    """Start offsets of the sentences of ``text`` (0 first), and len(text) last."""
    return [0] + [b.end() for b in _SENT_BREAK.finditer(text)] + [len(text)]


def _sentence_of(bounds: list[int], start: int, end: int) -> tuple[int, int]:
    s = max(b for b in bounds if b <= start)
    e = min(b for b in bounds if b >= end) if end <= bounds[-1] else bounds[-1]
    return s, e


def lead_of(body: str) -> tuple[int, str]:
    """(offset, text) of the body's lead: its first paragraph that ends a sentence or has at
    least eight words — not a rubric ("Тектеш") or a photo credit ("Фото … алынды") — else its
    first non-empty line; cut after the third sentence and at 700 characters."""
    offset, first = 0, None
    for para in (body or "").split("\n"):
        words = len(_WORD_RE.findall(para))
        if words and first is None:
            first = (offset, para)
        if words >= _LEAD_MIN_WORDS or (words and _ENDS_SENTENCE.search(para)):
            first = (offset, para)
            break
        offset += len(para) + 1
    if first is None:
        return 0, ""
    offset, para = first       # a body of short lines only: its first line
    bounds = _sentence_bounds(para)
    cut = bounds[min(_LEAD_SENTENCES, len(bounds) - 1)]
    return offset, para[:min(cut, _LEAD_MAX_CHARS)]


def _evidence(text: str, s: int, e: int, start: int, end: int) -> str:
    """The sentence text[s:e], clipped to about 200 characters around the date."""
    sentence = text[s:e].strip()
    if len(sentence) <= _EVIDENCE_CHARS:
        return sentence
    room = max(0, _EVIDENCE_CHARS - (end - start))
    lo = max(s, start - room // 2)
    hi = min(e, lo + _EVIDENCE_CHARS)
    lo = max(s, hi - _EVIDENCE_CHARS)
    clip = text[lo:hi].strip()
    return ("…" if lo > s else "") + clip + ("…" if hi < e else "")


def _classify(text: str):
    """(date, why not an event date or None, start, end, sentence start, sentence end) for every
    valid full date of ``text``; why is a kind of ``date_markers.tsv``, "citation" or "quoted"."""
    folded = _fold(text)
    bounds = _sentence_bounds(text)   # capitals mark sentence starts: bounds from the unfolded text
    quotes = _quote_spans(folded)
    for start, end, date, m, _kind in _matches(folded):
        if date is None:
            continue
        s, e = _sentence_of(bounds, start, end)
        if any(qs < start and end < qe for qs, qe in quotes):
            why = "quoted"
        elif _is_citation(folded, start, end, m):
            why = "citation"
        else:
            why = _governing_kind(folded, s, e, start, end, m)
        yield date, why, start, end, s, e


def classify_body_dates(body: str) -> list[tuple[_dt.date, str | None, int]]:
    """Every valid full date in ``body``: (date, why it is not an event date or None, offset)."""
    return [(date, why, start) for date, why, start, *_rest in _classify(body or "")]


def body_date_evidence(body: str, today: _dt.date | None = None) -> tuple[_dt.date, str] | None:
    """(date, the sentence that gives it) when the body's lead says on which day the reported
    event happened; None otherwise (see the module doc)."""
    try:
        return _body_date_evidence(body or "", today or _dt.date.today())
    except Exception:  # pragma: no cover - defensive: never raise on odd input
        return None


def _body_date_evidence(body: str, today: _dt.date):
    _offset, lead = lead_of(body)
    candidates = [(date, _evidence(lead, s, e, start, end))
                  for date, why, start, end, s, e in _classify(lead)
                  if why is None and date <= today]
    if not candidates:
        return None
    # historical: the text speaks of a later day (not a deadline or a future event) more than
    # a year after the candidate, so it was written after that day
    later = [d for d, why, *_rest in _classify(body) if why not in _FORWARD_KINDS and d <= today]
    for date, evidence in candidates:
        if not any((d - date).days > 366 for d in later):
            return date, evidence
    return None


def find_body_date(body: str) -> _dt.date | None:
    """The day of the reported event as the body's lead states it (see module doc), or None."""
    found = body_date_evidence(body)
    return found[0] if found else None


def is_future(date: _dt.date, today: _dt.date | None = None) -> bool:
    """A date after tomorrow (a day of slack: Bishkek is UTC+6, the machine may be behind it) —
    a typo or a scheduled event, never the day an article was published."""
    return date > (today or _dt.date.today()) + _dt.timedelta(days=1)


def extract_date_evidence(header_date: str | None, field_date: str | None, body: str,
                          field_name: str = "date") -> tuple[_dt.date | None, str, str]:
    """(date, source, evidence): the page header first, then the JSONL field, then the body.

    evidence is what the date was read from: the header line, ``"date": "<value>"`` for a JSONL
    field, the lead sentence (clipped to about 200 characters) for a body date, "" for none."""
    for value, source in ((header_date, "header"), (field_date, "field")):
        if value:
            date = parse_date(value)
            if date is not None:
                text = value.strip() if source == "header" else f'"{field_name}": "{value.strip()}"'
                return date, source, _clip(text)
    found = body_date_evidence(body or "")
    if found is not None:
        return found[0], "body", found[1]
    return None, "none", ""


def _clip(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= _EVIDENCE_CHARS else text[:_EVIDENCE_CHARS - 1] + "…"


def extract_date(header_date: str | None, field_date: str | None,
                 body: str) -> tuple[_dt.date | None, str]:
    """(date, source): the page header first, then the JSONL field, then the body."""
    date, source, _evidence_text = extract_date_evidence(header_date, field_date, body)
    return date, source


# ---------------------------------------------------------------- filters

_FILTER_FORMS = ("YYYY (2025), YYYY-MM (2025-03), YYYY-MM-DD (2025-03-14), "
                 "DD.MM.YYYY (14.03.2025), a month name with a year (март 2025), "
                 "or a full date such as '14 марта 2025' or '2025-жылдын 14-мартында'")
_YEAR_RE = re.compile(r"(\d{4})(?:\s*-?\s*(?:жылы|жыл|ж\.?|г\.?|года?))?")
_YM_RE = re.compile(r"(\d{4})[-./](\d{1,2})")
_MY_RE = re.compile(r"(\d{1,2})[./](\d{4})")
_MONTH_YEAR_RE = re.compile(rf"{_M}\.?[\s,]*(?P<y>\d{{4}})\s*(?:-?\s*(?:жылы|жыл|ж\.?|г\.?|года?))?")
_YEAR_MONTH_RE = re.compile(rf"(?P<y>\d{{4}})\s*-?\s*(?:{_YEAR_WORD}\s*)?{_M}")


class ImpossibleDate(ValueError):
    """A filter value of a form we read whose day, month or year cannot be (``31.02.2025``,
    ``2025-13``, ``1800``): another message than a value that is no date at all."""


def _bound(year: int, month: int | None, end: bool, value: str) -> _dt.date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ImpossibleDate(f"date {value!r}: year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
    if month is None:
        return _dt.date(year, 12, 31) if end else _dt.date(year, 1, 1)
    if not 1 <= month <= 12:
        raise ImpossibleDate(f"date {value!r}: month {month} is not 1..12")
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
    # a full date, alone or with what a date line may hold (a time, year words, a weekday:
    # data/lang/date_line_words.tsv) — not a date glued to other text (``2021-07-16x``)
    is_date, date = header_date(value)
    if is_date:
        if date is not None:
            return date
        raise ImpossibleDate(f"{value!r} is not a valid calendar date (day or month out of "
                         f"range, or year outside {MIN_YEAR}..{MAX_YEAR}); "
                         f"expected {_FILTER_FORMS}")
    for rx in (_MONTH_YEAR_RE, _YEAR_MONTH_RE):
        m = rx.fullmatch(text)
        if m:
            month = _month_of(m.group("mon"))
            if month is not None:
                return _bound(int(m.group("y")), month, end, value)
    raise ValueError(f"not a date: {value!r}; expected {_FILTER_FORMS}")
