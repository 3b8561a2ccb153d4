"""Ingestion: files and folders → ``Document`` records, with every problem reported.

Formats: scraped pages (``.txt``, see ``indexer.pages``) and JSON Lines (``.jsonl``,
``.ndjson``: one object per line, ``id`` and ``body`` required; ``title``,
``date``, ``url``, ``source``, ``topics`` optional).

Bad input never stops a run and never loses a good document: each bad item is
reported once as a ``Problem`` (``file:line: error: reason``) and skipped, and
the run goes on.  In particular:

- JSON Lines are judged line by line: a line with binary data (a NUL byte, control
  bytes), broken or too deeply nested JSON, a lone surrogate (``"\\ud800"``) in a
  text field, or more than ``max_line`` bytes is one bad line; the other lines are
  kept.  Only a file that starts like a binary file and has no good line is reported
  once, as a binary file.
  Files are read line by line, so memory stays bounded whatever the file holds.
- Only regular files are read: FIFOs, sockets, devices (and links to them, such as
  a link to ``/dev/zero``) are skipped with a message, and never opened in a way
  that could block.
- A body longer than ``max_body`` characters (default ``MAX_BODY``, 1,000,000, or
  the ``KGSEARCH_MAX_BODY`` environment variable) is indexed *truncated* at the last
  sentence end (else the last space) before the limit, with a warning naming
  ``file:line``; a title is at most ``MAX_TITLE`` characters.
- A ``url`` that is not ``http:``/``https:`` is kept (the web UI shows it as text,
  never as a link) with a warning naming ``file:line``.
- File names that are not valid UTF-8 are shown in messages in a quoted, escaped
  form (``'/src/bad\\xff.txt'``); a page id taken from such a name escapes the
  undecodable bytes the same way (``bad\\xff``), so every id is valid text.
"""
from __future__ import annotations

import codecs
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer import dates, places
from indexer.documents import MAX_TITLE, Document, Problem, lead_sentence
from indexer.fields import FACETS, KEYWORDS, clean_values, json_kind, keywords_problem
from indexer.pages import parse_page
from kgsearch.settings import Settings
from kgsearch.settings import current as current_settings

IGNORED_EXAMPLES = 3                    # files of other formats named in the run's summary
PAGE_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = PAGE_SUFFIXES | JSONL_SUFFIXES
MAX_BODY_ENV = Settings.env("max_body")     # overrides MAX_BODY (a number of characters)
MAX_ID = 200                            # characters; a longer id is a bad item
# A JSON Lines file that starts like a binary file (``_looks_binary``) and has no good line
# (among its first BINARY_FILE_LINES non-blank lines) is one bad file.
BINARY_FILE_LINES = 100
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Where a body may be cut: after a sentence end, else at a space (searched near the limit).
_CUT_SENTENCE = re.compile(r"[.!?…][»\"')\]]*\s")
_CUT_SPACE = re.compile(r"\s")
_CUT_WINDOW = 20_000
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))


# The facets whose values a JSON line gives (``topics``): each a string or a list of strings.
KEYWORD_FACETS = tuple(f for f in FACETS if f.kind == KEYWORDS)

MAX_LINE = 64 << 20                     # bytes: the default longest JSON line read


def max_line_bytes(max_body: int) -> int:
    """The default longest JSON line: ``MAX_LINE``, or room for a ``max_body`` body written as
    ``\\uXXXX`` escapes (and the other fields) when that is more.  A line up to this is parsed
    (its body then truncated to ``max_body``); a longer one is skipped unread."""
    return max(MAX_LINE, 6 * max_body + 65_536)


def max_page_bytes(max_body: int) -> int:
    """The most of a page file that is read: ``max_body`` characters of 4-byte UTF-8 and a header."""
    return 4 * max_body + 65_536


def display_path(path) -> str:
    """A path for messages: as it is when it is valid UTF-8, else quoted with the undecodable
    bytes escaped (``'/src/bad\\xff.txt'``), so a message is always printable text."""
    text = os.fsdecode(os.fspath(path))
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "'" + os.fsencode(text).decode("utf-8", "backslashreplace") + "'"


def text_name(name: str) -> str:
    """A file name as valid text: undecodable bytes escaped as ``\\xNN`` (so distinct names stay distinct)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def shorten(text: str, limit: int = MAX_TITLE) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with "…"."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit - 1].rstrip(",;:–- ") + "…"


def first_sentence(body: str) -> str:
    """The first sentence of a body, shortened: the title shown for documents that come without one."""
    return shorten(lead_sentence(body))


def truncate_body(body: str, limit: int) -> tuple[str, str]:
    """``body`` cut to at most ``limit`` characters: after the last sentence end near the limit,
    else at the last space, else exactly; returns (text, where it was cut)."""
    start = max(0, limit - _CUT_WINDOW)
    window = body[start:limit + 1]
    for pattern, how in ((_CUT_SENTENCE, "at a sentence end"), (_CUT_SPACE, "at a space")):
        last = None
        for last in pattern.finditer(window):
            pass
        if last is not None and start + last.end() > limit // 2:
            return body[: start + last.end()].rstrip(), how
    return body[:limit], "mid-word"


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _looks_binary(data: bytes) -> bool:
    """A NUL byte, or more than 5 % control bytes, in the first 8 KB."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return control > len(sample) * 0.05


def _binary_line(raw: bytes) -> str | None:
    """Why one JSON line is binary data rather than text, or None."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        return f"binary data, not text (NUL byte at column {nul + 1})"
    if _looks_binary(raw):
        return "binary data, not text (control bytes)"
    return None


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)   # what Windows' Notepad calls "Unicode"


def _utf16(data: bytes) -> bytes | None:
    """A page saved as UTF-16 (it starts with a UTF-16 byte-order mark), as UTF-8; else None."""
    if not data.startswith(_UTF16_BOMS):
        return None
    return data.decode("utf-16", errors="replace").encode("utf-8")


def _decode(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM), else cp1251; returns (text, warning or None)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        return data.decode("cp1251", errors="replace"), f"not valid UTF-8 ({where}); decoded as cp1251"


def _cut_partial_utf8(data: bytes) -> bytes:
    """``data`` without a UTF-8 character that a byte limit cut in two at its end."""
    for back in range(1, 4):
        if len(data) < back:
            break
        byte = data[-back]
        if byte & 0xC0 != 0x80:            # a lead byte (or ASCII): is its sequence complete?
            need = 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4 if byte >> 3 == 0b11110 else 1
            return data[:-back] if need > back else data
    return data


def _file_kind(mode: int) -> str | None:
    for test, kind in _FILE_KINDS:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def _is_web_url(url: str) -> bool:
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(33))))
    m = _URL_SCHEME.match(cleaned)
    return bool(m) and m.group(1).lower() in ("http", "https")


def max_body_setting(settings: Settings | None = None) -> tuple[int, str | None]:
    """The ``max_body`` setting (``KGSEARCH_MAX_BODY``) as (characters, None), or (MAX_BODY, why
    the environment's value was not used)."""
    settings = settings or current_settings()
    return settings.max_body, settings.problems.get("max_body")


@dataclass
class IngestReport:
    read: int = 0                      # documents accepted
    files: int = 0
    ignored_files: int = 0             # files in a folder that are not a document format
    ignored_examples: list[str] = field(default_factory=list)   # the first few of them
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


class Ingestor:
    """Reads sources into documents; remembers ids to refuse duplicates.

    ``max_body``: the longest body kept whole, in characters (default: the ``max_body`` setting
    of ``settings`` or of this process, i.e. ``KGSEARCH_MAX_BODY`` or ``MAX_BODY``); a longer one
    is indexed truncated, with a warning.  ``max_line``: the longest JSON line read, in bytes (default ``max_line_bytes(max_body)``); a longer line is
    a bad line, skipped without being held in memory."""

    def __init__(self, on_problem=None, *, max_body: int | None = None, max_line: int | None = None,
                 settings: Settings | None = None):
        self.report = IngestReport()
        self._seen: dict[str, str] = {}
        self._on_problem = on_problem
        self._held: list[Problem] | None = None
        if max_body is None:
            max_body, why_not = max_body_setting(settings)
            if why_not:
                self._problem(MAX_BODY_ENV, None, "warning", why_not)
        if not isinstance(max_body, int) or max_body < 1:
            raise ValueError(f"max_body must be a positive number of characters, not {max_body!r}")
        self.max_body = max_body
        self.max_line = max_line if max_line is not None else max_line_bytes(max_body)
        self.max_page = max_page_bytes(max_body)

    # -- problems -----------------------------------------------------------
    def _problem(self, path, line, level, reason):
        problem = Problem(display_path(path), line, level, reason)
        if self._held is not None:       # see _read_jsonl
            self._held.append(problem)
        else:
            self._add(problem)

    def _add(self, problem: Problem) -> None:
        self.report.problems.append(problem)
        if self._on_problem:
            self._on_problem(problem)

    # -- files --------------------------------------------------------------
    def files(self, sources: Iterable[str | os.PathLike]) -> Iterator[Path]:
        """Every document file named, or found under a named folder (regular files only:
        anything else is reported and skipped)."""
        for source in sources:
            root = Path(source)
            try:
                mode = root.stat().st_mode
            except OSError as exc:
                self._problem(root, None, "error", "a broken symbolic link" if root.is_symlink()
                              else "no such file or folder" if isinstance(exc, FileNotFoundError)
                              else f"cannot read: {exc.strerror or exc}")
                continue
            if stat.S_ISDIR(mode):
                walk = os.walk(root, onerror=lambda exc: self._problem(
                    exc.filename or root, None, "error", f"cannot read folder: {exc.strerror or exc}"))
                for dirpath, dirnames, filenames in walk:
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    for name in sorted(filenames):
                        path = Path(dirpath) / name
                        if name.startswith("."):
                            continue
                        if path.suffix.lower() in SUPPORTED_SUFFIXES:
                            if self._regular(path):
                                yield path
                        else:
                            self.report.ignored_files += 1
                            if len(self.report.ignored_examples) < IGNORED_EXAMPLES:
                                self.report.ignored_examples.append(display_path(path))
            elif stat.S_ISREG(mode):
                yield root
            else:
                self._not_regular(root, mode)

    def _regular(self, path: Path) -> bool:
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            self._problem(path, None, "error", "a broken symbolic link" if path.is_symlink()
                          else f"cannot read: {exc.strerror or exc}")
            return False
        if stat.S_ISREG(mode):
            return True
        self._not_regular(path, mode)
        return False

    def _not_regular(self, path: Path, mode: int) -> None:
        link = "a symbolic link to " if path.is_symlink() else ""
        self._problem(path, None, "error", f"not a regular file ({link}{_file_kind(mode)}); skipped")

    def forget_ids(self) -> None:
        """Start a new run's duplicate check (the report goes on): a rebuild from a recorded
        history reads each ``add`` as that run did."""
        self._seen = {}

    def documents(self, sources: Iterable[str | os.PathLike]) -> Iterator[Document]:
        for path in self.files(sources):
            self.report.files += 1
            for doc in self._read_file(path):
                first = self._seen.get(doc.id)
                if first is not None:
                    self._problem(*_split_origin(doc.origin), "error",
                                  f'duplicate id "{doc.id}" (first seen at {first}); skipped')
                    continue
                self._seen[doc.id] = doc.origin
                self.report.read += 1
                yield doc

    def _read_file(self, path: Path) -> Iterator[Document]:
        # O_NONBLOCK: a FIFO put in place of the file after it was listed must not block the open.
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            self._problem(path, None, "error", f"cannot read: {exc.strerror or exc}")
            return
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if not stat.S_ISREG(mode):
                self._not_regular(path, mode)
                return
            suffix = path.suffix.lower()
            try:
                if suffix in JSONL_SUFFIXES:
                    yield from self._read_jsonl(path, fh)
                    return
                if suffix not in PAGE_SUFFIXES:   # a file named on its own: JSON Lines if it looks so
                    start = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
                    fh.seek(0)
                    if start[:1] == b"{":
                        yield from self._read_jsonl(path, fh)
                        return
                    if start[:14].lower().startswith((b"<!doctype html", b"<html")):
                        self._problem(path, None, "error", "an HTML page, not text: its markup would be "
                                      "indexed as words; save the page as text (.txt) or as JSON Lines")
                        return
                doc = self._read_page(path, fh)
            except OSError as exc:
                self._problem(path, None, "error", f"cannot read: {exc.strerror or exc}")
                return
            if doc is not None:
                yield doc

    def _read_page(self, path: Path, fh) -> Document | None:
        data = fh.read(self.max_page + 1)
        if not data.strip():
            self._problem(path, None, "error", "empty file")
            return None
        if (converted := _utf16(data)) is not None:    # its NUL bytes are not binary data
            self._problem(path, None, "warning", "UTF-16 text (byte-order mark); read as UTF-16")
            data = converted
        if _looks_binary(data):
            self._problem(path, None, "error", "binary file, not text")
            return None
        if len(data) > self.max_page:
            data = _cut_partial_utf8(data[: self.max_page])
            self._problem(path, None, "warning", f"file larger than {self.max_page} bytes; "
                                                 f"only its first {self.max_page} bytes are read")
        text, warning = _decode(data)
        if warning:
            self._problem(path, None, "warning", warning)
        page = parse_page(text)
        for lineno, reason in page.problems:
            self._problem(path, lineno, "warning", reason)
        if not page.body:
            self._problem(path, None, "error", "no body text after the header")
            return None
        body = self._bounded_body(path, None, page.body)
        # The id is the file name without its extension: the same page gets the same id
        # whether it is read alone, in its folder or in a parent folder.
        doc_id = text_name(path.stem)
        if len(doc_id) > MAX_ID:
            self._problem(path, None, "error", f"the file name (the page's id) is longer than {MAX_ID} characters")
            return None
        date_line = page.date_line
        if date_line and (given := dates.parse_date(date_line)) is not None and dates.is_future(given):
            self._problem(path, None, "warning", f"the date line {date_line!r} is after today; "
                                                 "the page is dated from its body, if at all")
            date_line = None
        date, date_source, date_evidence = dates.extract_date_evidence(date_line, None, body)
        return finish(Document(
            id=doc_id, title=page.title or first_sentence(body), body=body,
            title_source="given" if page.title else "lead",
            date=date, date_source=date_source, date_evidence=date_evidence,
            views=page.views, source=None,
            origin=display_path(path),
        ))

    def _bounded_body(self, path, lineno, body: str) -> str:
        if len(body) <= self.max_body:
            return body
        cut, how = truncate_body(body, self.max_body)
        self._problem(path, lineno, "warning",
                      f"body has {len(body)} characters, over the limit of {self.max_body}; "
                      f"indexed truncated to {len(cut)} ({how})")
        return cut

    def _lines(self, fh) -> Iterator[tuple[int, bytes | None]]:
        """(line number, bytes) of every line, None for a line longer than ``max_line`` (whose
        bytes are skipped, never held)."""
        lineno = 0
        while True:
            raw = fh.readline(self.max_line + 1)
            if not raw:
                return
            if len(raw) > self.max_line and not raw.endswith(b"\n"):
                lineno += 1
                yield lineno, None       # (the reader may stop here: a binary file)
                while True:              # skip to the next line
                    chunk = fh.read(1 << 20)
                    end = chunk.find(b"\n")
                    if end >= 0:
                        fh.seek(end + 1 - len(chunk), os.SEEK_CUR)
                    if end >= 0 or not chunk:
                        break
                continue
            for part in raw.splitlines() or [b""]:   # old Mac files end lines with a bare CR
                lineno += 1
                yield lineno, part

    def _read_jsonl(self, path: Path, fh) -> Iterator[Document]:
        # Judged line by line.  Until the first good line, problems are held back: if no line
        # turns out good and the file starts like a binary file, it is one bad file, not a
        # message per "line" of binary data.
        head = fh.read(8192)
        fh.seek(0)
        if head.startswith(_UTF16_BOMS):     # not binary data: text in another encoding
            self._problem(path, None, "error", "UTF-16 text (byte-order mark), but JSON Lines are read as "
                          f"UTF-8: convert it (iconv -f UTF-16 -t UTF-8 {display_path(path)} > new.jsonl)")
            return
        binary_head = _looks_binary(head)
        self._held = []
        nonblank = False
        bad_lines = 0
        try:
            for lineno, raw in self._lines(fh):
                if raw is not None and not raw.strip():
                    continue
                nonblank = True
                doc = self._jsonl_line(path, lineno, raw)
                if doc is None and self._held is not None:
                    bad_lines += 1
                    if binary_head and (bad_lines >= BINARY_FILE_LINES or raw is None):
                        self._held = None
                        self._problem(path, None, "error", "binary file, not text" + (
                            f" (its first {BINARY_FILE_LINES} lines are not text)" if raw is not None else ""))
                        return
                if doc is not None or bad_lines >= BINARY_FILE_LINES:
                    self._release()
                if doc is not None:
                    yield doc
            if not nonblank:
                self._held = None
                self._problem(path, None, "error", "empty file")
            elif self._held is not None and binary_head:
                self._held = None
                self._problem(path, None, "error", "binary file, not text")
        finally:
            self._release()

    def _release(self) -> None:
        held, self._held = self._held, None
        for problem in held or ():
            self._add(problem)

    def _jsonl_line(self, path: Path, lineno: int, raw: bytes | None) -> Document | None:
        if raw is None:
            self._problem(path, lineno, "error", f"line longer than {self.max_line} bytes; skipped")
            return None
        binary = _binary_line(raw)
        if binary:
            self._problem(path, lineno, "error", binary)
            return None
        try:
            line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError:
            line, warning = _decode(raw)
            self._problem(path, lineno, "warning", warning)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            self._problem(path, lineno, "error", f"invalid JSON: {exc.msg} (column {exc.colno})")
            return None
        except RecursionError:
            self._problem(path, lineno, "error", "invalid JSON: nested too deeply")
            return None
        except ValueError as exc:        # e.g. an integer of more than 4300 digits
            self._problem(path, lineno, "error", f"invalid JSON: {exc}")
            return None
        return self._jsonl_document(path, lineno, obj)

    def _jsonl_document(self, path: Path, lineno: int, obj) -> Document | None:
        doc_id = self._jsonl_checked(path, lineno, obj)
        if doc_id is None:
            return None
        body = self._bounded_body(path, lineno, obj["body"].strip())
        title, title_source = self._jsonl_title(path, lineno, obj.get("title"), body)
        field_date = obj.get("date")
        if field_date is not None and not isinstance(field_date, str):
            field_date = str(field_date)
        parsed = dates.parse_date(field_date) if field_date else None
        if field_date and (parsed is None or dates.is_future(parsed)):
            why = "unrecognised" if parsed is None else "after today:"
            self._problem(path, lineno, "warning", f'{why} "date" {shorten(field_date, 80)!r}; '
                                                   'reading the date from the body')
            field_date = None
        date, date_source, date_evidence = dates.extract_date_evidence(None, field_date, body)
        topics = obj.get("topics")                # checked by _jsonl_checked
        views = obj.get("views")
        url = obj.get("url") if isinstance(obj.get("url"), str) and obj.get("url").strip() else None
        if url is not None and not _is_web_url(url):
            self._problem(path, lineno, "warning", f'"url" {shorten(url, 80)!r} is not an http(s) address; '
                                                   "kept, and shown as text, not as a link")
        return finish(Document(
            id=doc_id, title=title, title_source=title_source, body=body, date=date,
            date_source=date_source, date_evidence=date_evidence,
            views=views if isinstance(views, int) and not isinstance(views, bool) else None,
            url=url,
            source=obj.get("source") if isinstance(obj.get("source"), str) else None,
            topics=clean_values(topics),      # trimmed, distinct (indexer/fields.py)
            origin=f"{display_path(path)}:{lineno}",
        ))

    def _jsonl_checked(self, path: Path, lineno: int, obj) -> str | None:
        """The line's id when the line can be a document (an object with an id and a body, no
        lone surrogate in its text fields), else None with the error reported."""
        if not isinstance(obj, dict):
            self._problem(path, lineno, "error", f"expected a JSON object, got {type(obj).__name__}")
            return None
        doc_id = obj.get("id")
        if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
            self._problem(path, lineno, "error", 'missing "id"')
            return None
        if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
            what = repr(doc_id) if isinstance(doc_id, float) else json_kind(doc_id)
            self._problem(path, lineno, "error", f'"id" must be a string or a whole number, not {what}')
            return None
        doc_id = str(doc_id).strip()
        if len(doc_id) > MAX_ID:
            self._problem(path, lineno, "error", f'"id" is longer than {MAX_ID} characters')
            return None
        body = obj.get("body")
        if not isinstance(body, str) or not body.strip():
            self._problem(path, lineno, "error", 'missing "body"' if body in (None, "")
                          else '"body" must be non-empty text')
            return None
        for facet in KEYWORD_FACETS:     # topics: a string or a list of strings, nothing else
            why = keywords_problem(facet.source or facet.plural, obj.get(facet.source or facet.plural))
            if why:
                self._problem(path, lineno, "error", f"{why}; skipped")
                return None
        for name in ("id", "title", "body", "url", "source", "topics", "date"):
            value = obj.get(name)
            for text in value if isinstance(value, list) else [value]:
                m = _LONE_SURROGATE.search(text) if isinstance(text, str) else None
                if m:
                    self._problem(path, lineno, "error",
                                  f'"{name}" holds a lone surrogate ({ascii(m.group())[1:-1]} at character '
                                  f'{m.start() + 1}), which is not text; skipped')
                    return None
        return doc_id

    def _jsonl_title(self, path: Path, lineno: int, title, body: str) -> tuple[str, str]:
        """(title, "given") — shortened to MAX_TITLE with a warning — or the body's first
        sentence, (lead, "lead"), when the line has none."""
        if not (isinstance(title, str) and title.strip()):
            return first_sentence(body), "lead"
        title = title.strip()
        if len(title) > MAX_TITLE:
            self._problem(path, lineno, "warning",
                          f'"title" has {len(title)} characters; shortened to at most {MAX_TITLE}')
            title = shorten(title)
        return title, "given"


def finish(doc: Document) -> Document:
    """Derived fields: the places a document mentions."""
    found = places.detect_places(f"{doc.title}\n{doc.body}")
    doc.districts, doc.oblasts = found.districts, found.oblasts
    return doc


def _split_origin(origin: str) -> tuple[str, int | None]:
    path, _, line = origin.rpartition(":")
    return (path, int(line)) if line.isdigit() else (origin, None)
