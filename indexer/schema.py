"""The Whoosh schema, made from the field registry (``indexer/fields.py``): one analyzer for
the text fields (their words' exact-form and prefix terms are kept beside Whoosh's segments:
indexer/marked.py), a column for dates, one keyword field per facet, stored-only fields."""
from __future__ import annotations

import datetime as dt

from whoosh.analysis import RegexTokenizer, StripFilter
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from indexer import fields as registry
from indexer.analysis import ANALYZER
from indexer.documents import Document, lead_sentence

# a keyword facet's values are one a line: a value may hold commas and spaces, never a line break
VALUE_SEPARATOR = "\n"


def _facet_field(facet: registry.Facet):
    if facet.kind == registry.YEAR:
        # yyyymmdd as an integer, 0 when the document has no date; a column for sorting and facets
        return NUMERIC(int, bits=32, signed=False, stored=True, sortable=True)
    if facet.kind == registry.PLACE:
        # facet counts come from these fields' own terms (search/facets.py)
        return KEYWORD(stored=True, commas=True, lowercase=False, scorable=False)
    return KEYWORD(scorable=False, analyzer=RegexTokenizer(r"[^\n]+") | StripFilter())


def make_schema() -> Schema:
    spec = {"id": ID(stored=True, unique=True)}
    # a field that only scores (the lead) is not stored: its text is read again from the body
    spec.update({f.name: TEXT(analyzer=ANALYZER, stored=f.queried, phrase=True) for f in registry.TEXT_FIELDS})
    spec.update({f.field: _facet_field(f) for f in registry.FACETS})
    spec.update({name: STORED() for name in registry.STORED_FIELDS if name not in spec})
    return Schema(**spec)


def date_to_int(value: dt.date | None) -> int:
    return value.year * 10000 + value.month * 100 + value.day if value else 0


def int_to_date(value: int | None) -> dt.date | None:
    if not value:
        return None
    return dt.date(value // 10000, value // 100 % 100, value % 100)


def facet_fields(doc: Document) -> dict:
    """The document's facet fields (the year's is its date)."""
    out = {}
    for facet in registry.value_facets():
        sep = "," if facet.kind == registry.PLACE else VALUE_SEPARATOR
        out[facet.field] = sep.join(facet.document_values(doc))
    return out


def indexed_title(title: str, title_source: str) -> str:
    """The title text that is indexed: a title the input gave.  One made from the body's first
    sentence is only shown: indexing it again as a title would count the lead twice and boost it
    (bench/eval: −0.18…−0.26 MRR@10 on headlines the index has never seen)."""
    return title if title_source == "given" else ""


def indexed_texts(stored: dict) -> dict[str, str]:
    """What each text field of a document indexed, from its stored fields (the marked postings
    are computed from them after a commit: indexer/marked.py)."""
    return _texts(stored.get("title") or "", stored.get("title_source") or "", stored.get("body") or "")


def _texts(title: str, title_source: str, body: str) -> dict[str, str]:
    """The text of each text field of the registry: the title when given, the body, its lead."""
    return {"title": indexed_title(title, title_source), "body": body, "lead": lead_sentence(body)}


def to_fields(doc: Document) -> dict:
    """A ``Document`` as the keyword arguments of ``writer.add_document``."""
    return dict(
        id=doc.id,
        **_texts(doc.title, doc.title_source, doc.body),   # a title indexed when given; the lead not stored
        _stored_title=doc.title,
        title_source=doc.title_source,
        date=date_to_int(doc.date),
        date_source=doc.date_source,
        date_evidence=doc.date_evidence,
        views=doc.views,
        url=doc.url,
        source=doc.source,
        topics=list(doc.topics),           # shown as given, commas and all (the topic facet: ``topic``)
        **facet_fields(doc),
        hash=doc.content_hash(),
    )
