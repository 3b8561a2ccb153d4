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
MAX_LEAD = 4 * MAX_TITLE              # characters of the first paragraph a lead sentence is sought in
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
    """The body's first sentence (of its first paragraph, within its first ``MAX_LEAD``
    characters): the shown title of a document without one, and the indexed ``lead`` field."""
    first_para = body.strip()[:MAX_LEAD].split("\n", 1)[0]
    return SENTENCE_END.split(first_para, 1)[0].strip()
