"""Pages scraped from Kyrgyz government and news sites: header, title, body, chrome.

A page is plain text as a scraper saved it (see ``data/sample``).  Its header is a
few short lines in no fixed order — a date line (``10.12.2025``,
``08-Сентябрь 2013-ж.``), a view counter (``Кароолор: (67)`` or a bare number),
a section word (``Новости``) — and the title; the body follows, and site chrome
(``Предложения по улучшению сайта``, ``Онлайн кайрылуу``) may close the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer import dates, lang
from indexer.documents import MAX_TITLE

_CHROME = lang.read_table("page_chrome.tsv")
FOOTER_LINES = frozenset(r["text"].casefold() for r in _CHROME if r["kind"] == "footer")
SECTION_LINES = frozenset(r["text"].casefold() for r in _CHROME if r["kind"] == "section")
_VIEW_LABELS = "|".join(re.escape(r["label"]) for r in lang.read_table("view_labels.tsv"))
VIEWS_RE = re.compile(rf"^(?:(?:{_VIEW_LABELS})\s*:?\s*)?\(?\s*(\d{{1,9}})\s*\)?$", re.IGNORECASE)
# Header lines are short; the first line longer than this that is not a title is body.
MAX_HEADER_LINE = 80
# A header line up to MAX_TITLE characters may be the title; a longer one starts the body.


@dataclass
class Page:
    title: str
    body: str
    date_line: str | None
    views: int | None
    # (line number, reason) of what was wrong with the header: a date line whose date cannot be
    problems: list[tuple[int, str]] = field(default_factory=list)


def _is_chrome(line: str) -> bool:
    return line.strip().casefold() in FOOTER_LINES


def _header_kind(line: str) -> tuple[str, object] | None:
    """What a header line is: ('views', n), ('date', (line, date or None)), ('section', line),
    or None.  A date line is a date and nothing more (``dates.header_date``): a line with other
    words around a date is a title or body; a date line whose date cannot be (``31-февраль
    2024``) is still the date line, with no date."""
    text = line.strip()
    if len(text) > MAX_HEADER_LINE:
        return None
    m = VIEWS_RE.match(text)
    if m:
        return "views", int(m.group(1))
    if text.casefold() in SECTION_LINES:
        return "section", text
    is_date, date = dates.header_date(text)
    if is_date:
        return "date", (text, date)
    return None


def parse_page(text: str) -> Page:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    # Strip chrome and blank lines from the end.
    while lines and (not lines[-1].strip() or _is_chrome(lines[-1])):
        lines.pop()
    title = None
    date_line = None
    date_seen = False         # only the first date line of the header is the page's date line
    views = None
    problems: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        kind = _header_kind(line)
        if kind is None:
            if title is None and len(line.strip()) <= MAX_TITLE:
                title = line.strip()
                i += 1
                continue
            break
        what, value = kind
        if what == "views" and views is None:
            views = value
        elif what == "date" and not date_seen:
            date_seen = True
            text, date = value
            if date is not None:
                date_line = text
            else:
                problems.append((i + 1, f"the date line {text!r} is not a valid date; "
                                        "the page is dated from its body, if at all"))
        i += 1
    body_lines = [line for line in lines[i:] if not _is_chrome(line)]
    body = "\n".join(body_lines).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    return Page(title=title or "", body=body, date_line=date_line, views=views, problems=problems)
