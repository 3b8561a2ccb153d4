"""The Whoosh schema: one analyzer for title and body, columns for sorting and facets."""
from __future__ import annotations

import datetime as dt

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from indexer.analysis import ANALYZER
from indexer.documents import Document


def make_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=ANALYZER, stored=True, phrase=True),
        body=TEXT(analyzer=ANALYZER, stored=True, phrase=True),
        # yyyymmdd as an integer, 0 when the document has no date; a column for sorting and facets
        date=NUMERIC(int, bits=32, signed=False, stored=True, sortable=True),
        date_source=STORED(),
        title_source=STORED(),
        date_evidence=STORED(),
        views=STORED(),
        url=STORED(),
        source=STORED(),
        topics=KEYWORD(stored=True, commas=True, lowercase=True),
        # facet counts come from these fields' own terms (search/generation.py ``places``, search/facets.py)
        district=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        oblast=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        hash=STORED(),
    )


def date_to_int(value: dt.date | None) -> int:
    return value.year * 10000 + value.month * 100 + value.day if value else 0


def int_to_date(value: int | None) -> dt.date | None:
    if not value:
        return None
    return dt.date(value // 10000, value // 100 % 100, value % 100)


def to_fields(doc: Document) -> dict:
    """A ``Document`` as the keyword arguments of ``writer.add_document``."""
    return dict(
        id=doc.id,
        # A title the input gave is indexed (and boosted); one made from the body's first
        # sentence is only shown: indexing it again as a title would count the lead twice and
        # boost it (bench/eval: −0.18…−0.26 MRR@10 on headlines the index has never seen).
        title=doc.title if doc.title_source == "given" else "",
        _stored_title=doc.title,
        title_source=doc.title_source,
        body=doc.body,
        date=date_to_int(doc.date),
        date_source=doc.date_source,
        date_evidence=doc.date_evidence,
        views=doc.views,
        url=doc.url,
        source=doc.source,
        topics=",".join(doc.topics),
        district=",".join(doc.districts),
        oblast=",".join(doc.oblasts),
        hash=doc.content_hash(),
    )
