"""The document record that flows from ingestion into the index, and ingestion problems."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from kgsearch.settings import DEFAULTS

# Limits every ingested document is held to (see ``indexer.ingest``): a title longer than
# MAX_TITLE characters is shortened at a word boundary; a body longer than MAX_BODY
# characters is indexed cut at a sentence end (or a space) before the limit, with a warning.
MAX_TITLE = 300
MAX_LEAD = 4 * MAX_TITLE              # characters of the body's start a lead is sought in
# A lead has at least this many words (of two letters or more): shorter first sentences — a
# dateline (``БИШКЕК, 25-фев. — Кабар.``), a photo credit, a cut after an initial (``И.``), a
# one-word line — are joined with the sentences after them until it has.
MIN_LEAD_WORDS = 4
_LEAD_WORD = re.compile(r"[^\W\d_]{2,}")
# a sentence ends at . ! ? … followed by space and what starts a sentence
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"A-ZА-ЯЁҢӨҮ0-9])")
MAX_BODY = DEFAULTS.max_body          # KGSEARCH_MAX_BODY overrides it (kgsearch/settings.py)


@dataclass
class Document:
    id: str
    title: str
    body: str
    title_source: str = "given"        # given (by the input) | lead (the body's first sentence, shown only)
    date: dt.date | None = None
    date_source: str = "none"          # header | field | body | none
    date_evidence: str = ""            # what the date was read from (header line, field, sentence)
    views: int | None = None
    url: str | None = None
    source: str | None = None          # where it came from: a site name or the file it was read from
    topics: list[str] = field(default_factory=list)
    districts: tuple[str, ...] = ()
    oblasts: tuple[str, ...] = ()
    origin: str = ""                   # file:line it was read from (for messages)

    def content_hash(self) -> str:
        """A hash of everything the source says about the document (not of derived fields)."""
        payload = json.dumps(
            [self.id, self.title, self.body, self.date.isoformat() if self.date else None,
             self.views, self.url, self.source, self.topics],
            ensure_ascii=False,
        )
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Problem:
    """Something wrong with the input: ``path:line: level: reason``."""
    path: str
    line: int | None
    level: str                          # "error" (item skipped) or "warning" (item kept)
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.reason}"

    @property
    def is_error(self) -> bool:
        return self.level == "error"


def lead_sentence(body: str) -> str:
    """The body's first sentence, within its first ``MAX_LEAD`` characters: the shown title of
    a document without one, and the indexed ``lead`` field.  A first sentence of fewer than
    ``MIN_LEAD_WORDS`` words takes the following sentences (across line breaks) until the
    lead has that many, or the text ends."""
    parts: list[str] = []
    words = 0
    for line in body.strip()[:MAX_LEAD].split("\n"):
        for sentence in SENTENCE_END.split(line):
            sentence = sentence.strip()
            if not sentence:
                continue
            parts.append(sentence)
            words += len(_LEAD_WORD.findall(sentence))
            if words >= MIN_LEAD_WORDS:
                return " ".join(parts)
    return " ".join(parts)
