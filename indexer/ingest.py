"""Ingestion: files and folders → ``Document`` records, with every problem reported.

Formats: scraped pages (``.txt``, see ``indexer.pages``) and JSON Lines (``.jsonl``,
``.ndjson``: one object per line, ``id`` and ``body`` required; ``title``,
``date``, ``url``, ``source``, ``topics`` optional).

Bad input never stops a run and never loses a good document: each bad item is
reported once as a ``Problem`` (``file:line: error: reason``) and skipped, and
the run goes on.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer import dates, places
from indexer.documents import Document, Problem
from indexer.pages import parse_page

PAGE_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = PAGE_SUFFIXES | JSONL_SUFFIXES
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"A-ZА-ЯЁҢӨҮ0-9])")
MAX_TITLE = 200


def first_sentence(body: str) -> str:
    """The first sentence of a body, for documents that come without a title."""
    first_para = body.strip().split("\n", 1)[0]
    sentence = _SENTENCE_END.split(first_para, 1)[0].strip()
    if len(sentence) > MAX_TITLE:
        cut = sentence.rfind(" ", 0, MAX_TITLE)
        sentence = sentence[: cut if cut > 0 else MAX_TITLE].rstrip(",;:–- ") + "…"
    return sentence


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return control > len(sample) * 0.05


def _decode(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM), else cp1251; returns (text, warning or None)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        return data.decode("cp1251", errors="replace"), f"not valid UTF-8 ({where}); decoded as cp1251"


@dataclass
class IngestReport:
    read: int = 0                      # documents accepted
    files: int = 0
    ignored_files: int = 0             # files in a folder that are not a document format
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


class Ingestor:
    """Reads sources into documents; remembers ids to refuse duplicates."""

    def __init__(self, on_problem=None):
        self.report = IngestReport()
        self._seen: dict[str, str] = {}
        self._on_problem = on_problem

    # -- problems -----------------------------------------------------------
    def _problem(self, path, line, level, reason):
        problem = Problem(str(path), line, level, reason)
        self.report.problems.append(problem)
        if self._on_problem:
            self._on_problem(problem)

    # -- files --------------------------------------------------------------
    def files(self, sources: Iterable[str | os.PathLike]) -> Iterator[Path]:
        """Every document file named, or found under a named folder."""
        for source in sources:
            root = Path(source)
            if root.is_dir():
                for dirpath, dirnames, filenames in os.walk(root):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    for name in sorted(filenames):
                        path = Path(dirpath) / name
                        if name.startswith("."):
                            continue
                        if path.suffix.lower() in SUPPORTED_SUFFIXES:
                            yield path
                        else:
                            self.report.ignored_files += 1
            elif root.is_file():
                yield root
            else:
                self._problem(root, None, "error", "no such file or folder")

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
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._problem(path, None, "error", f"cannot read: {exc.strerror or exc}")
            return
        if not data.strip():
            self._problem(path, None, "error", "empty file")
            return
        if _looks_binary(data):
            self._problem(path, None, "error", "binary file, not text")
            return
        suffix = path.suffix.lower()
        is_jsonl = suffix in JSONL_SUFFIXES or (
            suffix not in PAGE_SUFFIXES and data.lstrip()[:1] == b"{")
        if is_jsonl:
            yield from self._read_jsonl(path, data)
        else:
            doc = self._read_page(path, data)
            if doc is not None:
                yield doc

    def _read_page(self, path: Path, data: bytes) -> Document | None:
        text, warning = _decode(data)
        if warning:
            self._problem(path, None, "warning", warning)
        page = parse_page(text)
        if not page.body:
            self._problem(path, None, "error", "no body text after the header")
            return None
        # The id is the file name without its extension: the same page gets the same id
        # whether it is read alone, in its folder or in a parent folder.
        doc_id = path.stem
        date, date_source, date_evidence = dates.extract_date_evidence(
            page.date_line, None, page.body)
        return finish(Document(
            id=doc_id, title=page.title or first_sentence(page.body), body=page.body,
            date=date, date_source=date_source, date_evidence=date_evidence,
            views=page.views, source=None,
            origin=str(path),
        ))

    def _read_jsonl(self, path: Path, data: bytes) -> Iterator[Document]:
        for lineno, raw in enumerate(data.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                line, warning = _decode(raw)
                self._problem(path, lineno, "warning", warning)
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                self._problem(path, lineno, "error", f"invalid JSON: {exc.msg} (column {exc.colno})")
                continue
            doc = self._jsonl_document(path, lineno, obj)
            if doc is not None:
                yield doc

    def _jsonl_document(self, path: Path, lineno: int, obj) -> Document | None:
        if not isinstance(obj, dict):
            self._problem(path, lineno, "error", f"expected a JSON object, got {type(obj).__name__}")
            return None
        doc_id = obj.get("id")
        if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
            self._problem(path, lineno, "error", 'missing "id"')
            return None
        if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
            self._problem(path, lineno, "error", '"id" must be a string or a number')
            return None
        body = obj.get("body")
        if not isinstance(body, str) or not body.strip():
            self._problem(path, lineno, "error", 'missing "body"' if body in (None, "")
                          else '"body" must be non-empty text')
            return None
        title = obj.get("title")
        title = title.strip() if isinstance(title, str) and title.strip() else first_sentence(body)
        field_date = obj.get("date")
        if field_date is not None and not isinstance(field_date, str):
            field_date = str(field_date)
        if field_date and dates.parse_date(field_date) is None:
            self._problem(path, lineno, "warning", f'unrecognised "date" {field_date!r}; reading the date from the body')
            field_date = None
        date, date_source, date_evidence = dates.extract_date_evidence(None, field_date, body)
        topics = obj.get("topics") or []
        if isinstance(topics, str):
            topics = [topics]
        views = obj.get("views")
        return finish(Document(
            id=str(doc_id).strip(), title=title, body=body.strip(), date=date,
            date_source=date_source, date_evidence=date_evidence,
            views=views if isinstance(views, int) and not isinstance(views, bool) else None,
            url=obj.get("url") if isinstance(obj.get("url"), str) else None,
            source=obj.get("source") if isinstance(obj.get("source"), str) else None,
            topics=[str(t) for t in topics if isinstance(t, (str, int))],
            origin=f"{path}:{lineno}",
        ))


def finish(doc: Document) -> Document:
    """Derived fields: the places a document mentions."""
    found = places.detect_places(f"{doc.title}\n{doc.body}")
    doc.districts, doc.oblasts = found.districts, found.oblasts
    return doc


def _split_origin(origin: str) -> tuple[str, int | None]:
    path, _, line = origin.rpartition(":")
    return (path, int(line)) if line.isdigit() else (origin, None)
