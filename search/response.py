"""The one JSON shape of a search: what ``GET /api/search`` answers and ``kgsearch search --json``
prints, built from the engine's result and the request's filters by one function below both, so
the two cannot drift (``web/openapi.py`` documents it as ``SearchResult`` / ``Hit``)."""
from __future__ import annotations

from indexer.fields import value_facets
from search import results
from search.filters import Filters

# the keys of a hit, in order: the engine's hit (search/results.py) without ``title_html`` (for
# the pages), and whether it is a partial match
HIT_KEYS = tuple(k for k in results.HIT_KEYS if k != "title_html") + ("partial",)
# the top-level keys taken from the engine's result as they are (then ``hits`` and ``filters``)
RESULT_KEYS = ("query", "total", "partial_total", "all_words_found", "page", "per_page", "pages", "sort",
               "took_ms")
LATER_KEYS = ("facets", "timeline")
OPTIONAL_KEYS = {"notes": list, "undated_excluded": None, "did_you_mean": None, "corrected_from": None,
                 "expansions": list}


def filter_echo(filters: Filters) -> dict:
    """The filters as understood (canonical place names, ISO dates): what the search applied —
    the period and one list per value facet of the field registry (``indexer/fields.py``)."""
    return {"from": filters.date_from.isoformat() if filters.date_from else None,
            "to": filters.date_to.isoformat() if filters.date_to else None,
            **{f.name: list(filters.values(f.name)) for f in value_facets()}}


def search_response(result: dict, filters: Filters) -> dict:
    """The search's JSON: the engine's ``result`` (``SearchEngine.search``) for ``filters``."""
    out = {key: result[key] for key in RESULT_KEYS}
    out["hits"] = [{key: hit[key] for key in HIT_KEYS} for hit in result["hits"]]
    out.update({key: result[key] for key in LATER_KEYS})
    for key, empty in OPTIONAL_KEYS.items():
        value = result.get(key)
        out[key] = empty() if value is None and empty is not None else value
    out["filters"] = filter_echo(filters)
    return out
