"""The searcher: a query → ranked, filtered, faceted, highlighted results, as plain data (dicts,
lists, strings) so that ``web/`` never touches the index library.

This is the facade; each job has its module:

    generation.py  the served generation, opened and swapped; its caches and derived arrays
    compile.py     ParsedQuery (query.py) → Plan (plan.py), within the cost bound (budget.py)
    evaluate.py    a query under filters → doc sets (docsets.py), facets.py, timeline.py
    ranking.py     BM25F from term arrays, near-ties rescored by the backend; by date
    proximity.py   the first candidates reordered by how close the query's words stand
    results.py     hits, export rows, the article page, the result page
    heavy.py       pages of queries cut by the cost bound: one lane, a pause, ``Busy`` (429) on overflow
    backend/       the one place the index library (Whoosh) is met

Threads share one engine without an engine-wide lock: the generation is swapped under a short
lock and closed when its last user is done; the backend's readers are entered under a
per-generation lock for one call at a time; the caches have their own short locks.
"""
from __future__ import annotations

import time

import numpy as np

from indexer import fields as registry
from indexer.analysis import ANALYZER_VERSION
from indexer.lang import needs_reindex
from indexer.schema import int_to_date
from indexer.store import IndexStore
from search import ranking, results
from search.backend.whoosh_backend import WhooshBackend
from search.budget import PREFIX_TERMS, QUERY_POSTINGS, QUERY_TERMS  # noqa: F401  (re-exported)
from search.compile import compile_plan
from search.evaluate import corrected as corrected_query
from search.evaluate import evaluate, is_cut
from search.facets import kind_of
from search.filters import Filters
from search.generation import Generation, IndexUnavailable, NoIndex, Served  # noqa: F401  (re-exported)
from search.heavy import HEAVY_RATE, HEAVY_SHARE, HEAVY_WAITING, Busy, HeavyLane  # noqa: F401  (re-exported)
from search.plan import Plan
from search.query import ParsedQuery, parse, to_text

MAX_PER_PAGE = 100
SORTS = ("relevance", "newest", "oldest")


class SearchEngine:
    def __init__(self, index_root=None, store: IndexStore | None = None, compact: bool = True):
        self.store = store or IndexStore(index_root)
        self.expand = True            # False: no Latin readings, equivalents, did-you-mean (for comparisons)
        # compact=False: read every term from Whoosh's own postings (for comparisons)
        self._served = Served(self.store, WhooshBackend(compact=compact))
        self._heavy = HeavyLane()

    def state(self) -> Generation:
        """The current generation, reopened when the served index changed."""
        with self._served.using() as gen:
            return gen

    def plan(self, q: str) -> Plan:
        """The plan of a query on the current generation (what the article page highlights;
        tests compare its nodes with the backend's own answers)."""
        with self._served.using() as gen:
            return compile_plan(gen, parse(q), self.expand)

    def close(self) -> None:
        self._served.close()

    # -- a result page ----------------------------------------------------------------
    def search(self, q: str = "", page: int = 1, per_page: int = 10,
               filters: Filters = Filters(), sort: str | None = None) -> dict:
        started = time.perf_counter()
        page = max(1, int(page))
        per_page = max(1, min(MAX_PER_PAGE, int(per_page)))
        parsed = parse(q)
        sort = _sort(parsed, sort)
        with self._served.using() as gen:
            key = ("search", q, page, per_page, filters, sort, self.expand)
            if is_cut(gen, parsed, self.expand):    # broad prefixes: through the heavy lane, cached or not
                with self._heavy.enter():
                    cached = self._page(gen, key, parsed, page, per_page, filters, sort)
            else:
                cached = self._page(gen, key, parsed, page, per_page, filters, sort)
        result = dict(cached)
        result["query"] = q
        result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _page(self, gen, key, parsed, page, per_page, filters, sort) -> dict:
        """One results page, from the page cache or computed now."""
        cached = gen.pages.get(key)
        if cached is None:
            cached = gen.pages.put(key, self._search(gen, parsed, page, per_page, filters, sort))
        return cached

    def _search(self, gen, parsed: ParsedQuery, page, per_page, filters, sort, corrected=False) -> dict:
        """``total``: the documents matching every unit of the query (each word in any of its
        forms); facets and timeline count those.  Documents matching only some of the soft
        units (and every required one, and no excluded one) follow them in the list,
        ``"partial": true``, counted in ``partial_total``."""
        ev = evaluate(gen, parsed, filters, self.expand)
        offset = (page - 1) * per_page
        tiers = [ev.full] if not ev.partial_total else [ev.full, ev.partial]
        if ev.plan.scoring is None or sort != "relevance":
            docnums, scores = ranking.dated(gen, tiers, ev.docs, offset, offset + per_page, sort), {}
        else:
            docnums, scores = ranking.ranked(gen, ev.plan, tiers, offset, offset + per_page, ev.memo)
        hits = [results.hit(fields, scores.get(d), ev.plan.matcher)
                for d, fields in zip(docnums, gen.reader.stored(docnums))]
        for d, hit in zip(docnums, hits):
            hit["partial"] = bool(ev.partial is not None and ev.partial[d])
        # -- query expansion (search/expand.py): what was added, and a correction --
        expansions, did_you_mean = [], None
        if self.expand and not parsed.empty:
            xp = gen.expander
            expansions = xp.expansions((a.kind, a.text) for a in parsed.positive_atoms())
            did_you_mean = xp.suggest(to_text(parsed.tree))
            # nothing at all, and the correction finds something (its evaluation is cached)
            if not corrected and corrected_query(gen, parsed, ev, filters, True, did_you_mean):
                fixed = self._search(gen, parse(did_you_mean), page, per_page, filters, sort, corrected=True)
                return {**fixed, "corrected_from": to_text(parsed.tree), "did_you_mean": did_you_mean}
        # -- end of query expansion --
        return results.page(to_text(parsed.tree), ev, hits, page, per_page, sort, gen.generation,
                            expansions, did_you_mean)

    # -- one document ------------------------------------------------------------------
    def document(self, doc_id: str, q: str = "") -> dict | None:
        with self._served.using() as gen:
            stored = gen.reader.document(doc_id)
            if stored is None:
                return None
            matcher = compile_plan(gen, parse(q), self.expand).matcher
        return results.article(stored, matcher)

    # -- statistics ----------------------------------------------------------------------
    def stats(self) -> dict:
        with self._served.using() as gen:
            # documents deleted by `kgsearch delete`/`add` (copy-on-write) are not counted
            live_dates = gen.dates[gen.live]
            dated = live_dates[live_dates > 0]
            oblasts = kind_of(registry.facet("oblast")).counts(gen, gen.live)
            docs = gen.reader.doc_count()
            marked_ok, segments = gen.reader.marked_coverage()
        manifest = self.store.manifest(gen.generation)
        return {
            "documents": docs,
            "date_range": [int_to_date(int(dated.min())).isoformat(), int_to_date(int(dated.max())).isoformat()]
            if len(dated) else None,
            "undated": int(len(live_dates) - len(dated)),
            "oblasts": oblasts,
            "index_bytes": self.store.size_bytes(gen.generation),
            "index": str(self.store.root),
            "generation": gen.generation,
            "built_at": manifest.get("built_at"),
            "sources": manifest.get("sources", []),
            "analyzer_version": manifest.get("analyzer_version"),
            "code_analyzer_version": ANALYZER_VERSION,
            "reindex_reason": (why := needs_reindex(manifest)),   # analyzer or data tables differ
            "reindex_needed": why is not None,
            # segments whose words' exact-form and prefix terms score (indexer/marked.py), of all
            "marked_segments": [marked_ok, segments],
        }

    # -- every match, for export and feeds (issue 15) -------------------------------------
    def matches(self, q: str = "", filters: Filters = Filters(), sort: str | None = None,
                body: bool = False, chunk: int = 256, on_corrected=None):
        """(total, iterator of hit dicts) over EVERY document of the set ``search()``'s
        ``total`` counts — the documents with every unit of the query, within the filters
        (the partial matches are not exported) — in ``sort`` order (relevance: by score, as the
        pages; newest / oldest: by date).

        The set, the order and the scores are computed now (docnum arrays); the stored fields
        are read lazily, ``chunk`` documents at a time, by readers of the export's own (no
        shared lock), so memory stays constant however many documents match.  Row keys:
        search/results.py ``EXPORT_KEYS``, and body if asked.  A query that finds nothing is
        corrected as the page corrects it, and ``on_corrected(query)`` told so."""
        parsed = parse(q)
        sort = _sort(parsed, sort)
        gen = self._served.enter()               # kept open until the rows are read (``leave``)
        try:
            ev = evaluate(gen, parsed, filters, self.expand)
            if (fixed := corrected_query(gen, parsed, ev, filters, self.expand)) is not None:
                if on_corrected is not None:
                    on_corrected(fixed[0])
                ev = fixed[1]
            order, scores = self._order(gen, ev, sort)
            reader = gen.reader.export_reader(int(order[0]) if len(order) else None)
        except BaseException:
            self._served.leave(gen)
            raise

        def rows():
            try:
                for start in range(0, len(order), chunk):
                    for i, fields in enumerate(reader.read(order[start:start + chunk])):
                        yield results.export_row(fields, scores[start + i] if scores is not None else None, body)
            finally:
                reader.close()
                self._served.leave(gen)

        return len(order), rows()

    @staticmethod
    def _order(gen, ev, sort: str):
        """(docnums, scores or None) of every document of ``ev.full``, in ``sort`` order."""
        total = len(ev.docs)
        if ev.plan.scoring is None or sort != "relevance":
            return np.asarray(ranking.by_date(gen, ev.docs, total, sort), np.int64), None
        if not total:
            return np.zeros(0, np.int64), np.zeros(0)
        top = ranking.best(gen, ev.plan, ev.full, total, ev.memo)
        return np.fromiter((d for d, _ in top), np.int64, len(top)), np.fromiter((x for _, x in top), np.float64, len(top))


def _sort(parsed: ParsedQuery, sort: str | None) -> str:
    if sort is None:
        sort = "relevance" if not parsed.empty else "newest"
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    return sort
