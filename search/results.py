"""What the engine returns, as plain data: hits of a page, export rows, the article page, the
result page itself."""
from __future__ import annotations

from indexer.schema import int_to_date
from search.highlight import HTML, TermMatcher, find_spans, highlight_all, snippet_fragment


def split(value) -> list[str]:
    """A stored list of values: a list (topics), or comma-joined text (places, and the topics of
    an index written before they were stored as a list)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [v for v in (value or "").split(",") if v]


def _date(value) -> str | None:
    date = int_to_date(value)
    return date.isoformat() if date else None


# a stored document's fields as the shapes below show them
_FIELD = {
    "id": lambda s: s["id"],
    "title": lambda s: s.get("title") or "",
    "date": lambda s: _date(s.get("date")),
    "date_source": lambda s: s.get("date_source"),
    "date_evidence": lambda s: s.get("date_evidence") or "",
    "views": lambda s: s.get("views"),
    "url": lambda s: s.get("url"),
    "source": lambda s: s.get("source"),
    "topics": lambda s: split(s.get("topics")),
    "districts": lambda s: split(s.get("district")),
    "oblasts": lambda s: split(s.get("oblast")),
    "body": lambda s: s.get("body") or "",
}
HIT_KEYS = ("id", "title", "title_html", "date", "url", "source", "score", "snippet", "snippet_text",
            "snippet_marks", "districts", "oblasts", "topics")
EXPORT_KEYS = ("id", "title", "date", "date_source", "url", "source", "districts", "oblasts", "topics", "score")
ARTICLE_KEYS = ("id", "title", "title_html", "body_html", "matches", "date", "date_source", "date_evidence",
                "views", "url", "source", "topics", "districts", "oblasts")


def _shape(stored: dict, keys: tuple, computed: dict) -> dict:
    return {k: computed[k] if k in computed else _FIELD[k](stored) for k in keys}


def _score(score) -> float | None:
    return round(float(score), 4) if score is not None else None


def hit(stored: dict, score, matcher: TermMatcher) -> dict:
    """One hit of a result page: highlighted title, the snippet as HTML and as text with its marks."""
    passage = snippet_fragment(stored.get("body") or "", matcher)
    return _shape(stored, HIT_KEYS, {
        "title_html": highlight_all(stored.get("title") or "", matcher),
        "score": _score(score),
        "snippet": HTML.format(passage),
        "snippet_text": passage.text,
        "snippet_marks": [list(m) for m in passage.marks]})


def export_row(stored: dict, score, body: bool) -> dict:
    """One row of an export (``SearchEngine.matches``); the body only if asked."""
    return _shape(stored, EXPORT_KEYS + (("body",) if body else ()), {"score": _score(score)})


def article(stored: dict, matcher: TermMatcher) -> dict:
    """The article page (``SearchEngine.document``): the whole body, highlighted."""
    body = stored.get("body") or ""
    return _shape(stored, ARTICLE_KEYS, {
        "title_html": highlight_all(stored.get("title") or "", matcher),
        "body_html": [highlight_all(p, matcher) for p in body.split("\n") if p.strip()],
        "matches": len(find_spans(body, matcher))})


def page(query: str, ev, hits: list, page: int, per_page: int, sort: str, generation: str,
         expansions: list, did_you_mean) -> dict:
    """The result page of an evaluated query (search/evaluate.py)."""
    total, partial_total = len(ev.docs), ev.partial_total
    facets = dict(ev.facets)
    undated_excluded = facets.pop("_undated_excluded", 0)
    return {
        "query": query,
        "total": total,
        "partial_total": partial_total,
        "all_words_found": bool(total) or not partial_total,
        "page": page,
        "per_page": per_page,
        "pages": (total + partial_total + per_page - 1) // per_page,
        "sort": sort,
        "hits": hits,
        "facets": facets,
        "undated_excluded": undated_excluded,
        "timeline": ev.timeline,
        "generation": generation,
        "notes": list(ev.notes),
        "expansions": expansions,
        "did_you_mean": did_you_mean,
        "corrected_from": None,
    }
