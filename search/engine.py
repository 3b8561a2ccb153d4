"""The searcher: parsed query → Whoosh query → ranked, filtered, faceted, highlighted results.

One ``SearchEngine`` per process holds one Whoosh searcher and refreshes it when
the served generation changes (``CURRENT``) or the generation itself gets new
documents.  Everything it returns is plain data (dicts, lists, strings) so that
``web/`` never touches Whoosh.
"""
from __future__ import annotations

import datetime as dt
import heapq
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.scoring import BM25F

from indexer import places
from indexer.analysis import ANALYZER_VERSION, analyze, fold, has_kyrgyz_letters, is_stopword, normalize
from indexer.schema import int_to_date
from indexer.store import IndexStore
from search.highlight import TermMatcher, find_spans, highlight_all, snippet
from search.filters import Filters
from search.query import Atom, ParsedQuery, parse

TITLE_BOOST = 2.5
FOLD_WEIGHT = 0.6          # a keyboard-folded match ranks below the exact-letter one
MAX_PER_PAGE = 100
SORTS = ("relevance", "newest", "oldest")
CACHE_SIZE = 512


class NoIndex(Exception):
    """No index has been built yet at this location."""


@dataclass
class _State:
    """One open generation: its searcher and what is derived from it."""
    generation: str
    index: object
    searcher: object
    dates: list[int]
    district_bits: list[int]
    oblast_bits: list[int]
    fold_map: dict[str, list[str]] | None = None
    cache: OrderedDict = field(default_factory=OrderedDict)


class SearchEngine:
    def __init__(self, index_root=None, store: IndexStore | None = None):
        self.store = store or IndexStore(index_root)
        self._lock = threading.RLock()
        self._state: _State | None = None

    # -- the open generation ----------------------------------------------------
    def _open(self, name: str) -> _State:
        ix = whoosh_index.open_dir(str(self.store.path(name)))
        searcher = ix.searcher(weighting=BM25F())
        return self._derive(name, ix, searcher)

    def _derive(self, name, ix, searcher) -> _State:
        reader = searcher.reader()
        return _State(
            generation=name, index=ix, searcher=searcher,
            dates=list(reader.column_reader("date")),
            district_bits=list(reader.column_reader("district_bits")),
            oblast_bits=list(reader.column_reader("oblast_bits")),
        )

    def state(self) -> _State:
        """The current generation's state, reopened when the served index changed."""
        with self._lock:
            name = self.store.current()
            st = self._state
            if name is None:
                raise NoIndex(f"no index at {self.store.root}; run `kgsearch reindex` first")
            if st is None or st.generation != name:
                new = self._open(name)
                if st is not None:
                    st.searcher.close()
                self._state = st = new
            elif not st.searcher.up_to_date():
                searcher = st.searcher.refresh()
                self._state = st = self._derive(name, st.index, searcher)
            return st

    def close(self) -> None:
        with self._lock:
            if self._state is not None:
                self._state.searcher.close()
                self._state = None

    # -- query building -----------------------------------------------------------
    def _fold_map(self, st: _State) -> dict[str, list[str]]:
        """Index terms with ң ө ү, by what a Russian keyboard makes of them."""
        if st.fold_map is None:
            fmap: dict[str, set[str]] = defaultdict(set)
            reader = st.searcher.reader()
            for fieldname in ("title", "body"):
                for term in reader.field_terms(fieldname):
                    if has_kyrgyz_letters(term):
                        fmap[fold(term)].add(term)
            st.fold_map = {k: sorted(v) for k, v in fmap.items()}
        return st.fold_map

    def _variants(self, st, word: str, term: str) -> list[str]:
        """Exact-letter index terms a word typed without ң ө ү may stand for."""
        if has_kyrgyz_letters(word):
            return []
        return [v for v in self._fold_map(st).get(term, ()) if v != term]

    def _atom_query(self, st, atom: Atom, highlight: set[str], prefixes: list[str]):
        fields = (atom.field,) if atom.field else ("title", "body")
        boost = {"title": TITLE_BOOST, "body": 1.0}
        if atom.kind == "prefix":
            text = normalize(atom.text)
            prefixes.append(text)
            return Q.Or([Q.Prefix(f, text, boost=boost[f]) for f in fields])
        mode = "phrase" if atom.kind == "phrase" else "query"
        tokens = [t.text for t in analyze(atom.text, mode)]
        if not tokens:
            return None
        alts = [[(t, 1.0)] + [(v, FOLD_WEIGHT) for v in self._variants(st, atom.text, t)]
                for t in tokens]
        for alt in alts:
            highlight.update(t for t, _ in alt)
        subqueries = []
        for f in fields:
            if len(alts) == 1:
                subqueries += [Q.Term(f, t, boost=boost[f] * w) for t, w in alts[0]]
            elif all(len(a) == 1 for a in alts):
                subqueries.append(Q.Phrase(f, [a[0][0] for a in alts], boost=boost[f]))
            else:
                subqueries.append(Q.Sequence(
                    [Q.Or([Q.Term(f, t, boost=w) for t, w in a]) for a in alts], boost=boost[f]))
        return Q.Or(subqueries)

    def build(self, st, parsed: ParsedQuery):
        """(all-words query, any-word query, excluded query, matcher for highlighting)."""
        highlight: set[str] = set()
        prefixes: list[str] = []
        clauses = parsed.clauses
        content = [c for c in clauses
                   if any(a.kind != "word" or not is_stopword(normalize(a.text)) for a in c.alternatives)]
        if content:
            clauses = content  # stop words only matter when they are all the user typed
        built = []
        for clause in clauses:
            subs = [q for q in (self._atom_query(st, a, highlight, prefixes) for a in clause.alternatives)
                    if q is not None]
            if subs:
                built.append(Q.Or(subs) if len(subs) > 1 else subs[0])
        scratch: set[str] = set()
        excluded = [q for q in (self._atom_query(st, a, scratch, []) for a in parsed.excluded) if q is not None]
        matcher = TermMatcher(frozenset(highlight), tuple(prefixes))
        if not built:
            return None, None, (Q.Or(excluded) if excluded else None), matcher
        all_q = Q.And(built) if len(built) > 1 else None
        any_q = Q.Or(built) if len(built) > 1 else built[0]
        return all_q, any_q, (Q.Or(excluded) if excluded else None), matcher

    # -- filters ----------------------------------------------------------------
    def _filter_docs(self, st: _State, filters: Filters) -> set[int] | None:
        if not filters.active:
            return None
        key = ("filter", filters)
        if key in st.cache:
            return st.cache[key]
        parts = []
        if filters.date_from or filters.date_to:
            lo = _date_int(filters.date_from) if filters.date_from else 1
            hi = _date_int(filters.date_to) if filters.date_to else 99991231
            parts.append(Q.NumericRange("date", max(lo, 1), hi))
        if filters.districts:
            parts.append(Q.Or([Q.Term("district", d) for d in filters.districts]))
        if filters.oblasts:
            parts.append(Q.Or([Q.Term("oblast", o) for o in filters.oblasts]))
        docs = set(st.searcher.docs_for_query(Q.And(parts) if len(parts) > 1 else parts[0]))
        self._remember(st, key, docs)
        return docs

    @staticmethod
    def _remember(st, key, value):
        st.cache[key] = value
        st.cache.move_to_end(key)
        while len(st.cache) > CACHE_SIZE:
            st.cache.popitem(last=False)

    # -- search ------------------------------------------------------------------
    def search(self, q: str = "", page: int = 1, per_page: int = 10,
               filters: Filters = Filters(), sort: str | None = None) -> dict:
        started = time.perf_counter()
        page = max(1, int(page))
        per_page = max(1, min(MAX_PER_PAGE, int(per_page)))
        parsed = parse(q)
        if sort is None:
            sort = "relevance" if not parsed.empty else "newest"
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        with self._lock:
            st = self.state()
            key = ("search", q, page, per_page, filters, sort)
            cached = st.cache.get(key)
            if cached is None:
                cached = self._search(st, parsed, page, per_page, filters, sort)
                self._remember(st, key, cached)
            else:
                st.cache.move_to_end(key)
        result = dict(cached)
        result["query"] = q
        result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _search(self, st, parsed, page, per_page, filters, sort) -> dict:
        searcher = st.searcher
        all_q, any_q, excluded_q, matcher = self.build(st, parsed)
        allowed = self._filter_docs(st, filters)
        if any_q is None:
            if not parsed.empty:   # nothing searchable was typed (only punctuation, say)
                matched = set()
            else:
                matched = set(searcher.reader().all_doc_ids())
        else:
            matched = set(searcher.docs_for_query(any_q))
        if allowed is not None:
            matched &= allowed
        if excluded_q is not None and matched:
            matched -= set(searcher.docs_for_query(excluded_q))
        total = len(matched)
        offset = (page - 1) * per_page
        want = offset + per_page
        if any_q is None or sort != "relevance":
            docnums = self._sorted_by_date(st, matched, want, sort)[offset:want]
            scores = {}
        else:
            docnums, scores = self._ranked(st, all_q, any_q, matched, offset, want)
        hits = []
        for docnum in docnums:
            stored = searcher.stored_fields(docnum)
            hits.append(self._hit(stored, scores.get(docnum), matcher))
        return {
            "query": parsed_text(parsed),
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": (total + per_page - 1) // per_page,
            "sort": sort,
            "hits": hits,
            "facets": self._facets(st, matched),
            "generation": st.generation,
        }

    def _sorted_by_date(self, st, docs, want, sort):
        dates = st.dates
        if sort == "oldest":
            # undated documents last
            return heapq.nsmallest(want, docs, key=lambda d: (dates[d] == 0, dates[d], d))
        return heapq.nlargest(want, docs, key=lambda d: (dates[d], -d))

    def _ranked(self, st, all_q, any_q, matched, offset, want):
        """Documents with every wanted word first, then the best partial matches."""
        searcher = st.searcher
        docnums: list[int] = []
        scores: dict[int, float] = {}
        full = set(searcher.docs_for_query(all_q)) & matched if all_q is not None else matched
        tiers = [(all_q if all_q is not None else any_q, full)]
        if all_q is not None:
            tiers.append((any_q, matched - full))
        skip = offset
        for q, docs in tiers:
            if len(docs) <= skip:
                skip -= len(docs)
                continue
            results = searcher.search(q, limit=skip + (want - offset) - len(docnums), filter=docs)
            for hit in results[skip:]:
                docnums.append(hit.docnum)
                scores[hit.docnum] = hit.score
            skip = 0
            if len(docnums) >= want - offset:
                break
        return docnums[: want - offset], scores

    def _hit(self, stored: dict, score, matcher: TermMatcher) -> dict:
        date = int_to_date(stored.get("date"))
        return {
            "id": stored["id"],
            "title": stored.get("title") or "",
            "title_html": highlight_all(stored.get("title") or "", matcher),
            "date": date.isoformat() if date else None,
            "url": stored.get("url"),
            "source": stored.get("source"),
            "score": round(score, 4) if score is not None else None,
            "snippet": snippet(stored.get("body") or "", matcher),
            "districts": _split(stored.get("district")),
            "oblasts": _split(stored.get("oblast")),
        }

    def _facets(self, st, docs) -> dict:
        years: Counter = Counter()
        dmasks: Counter = Counter()
        omasks: Counter = Counter()
        dates, dbits, obits = st.dates, st.district_bits, st.oblast_bits
        for d in docs:
            if dates[d]:
                years[dates[d] // 10000] += 1
            if dbits[d]:
                dmasks[dbits[d]] += 1
            if obits[d]:
                omasks[obits[d]] += 1
        return {
            "district": _expand(dmasks, places.DISTRICTS),
            "oblast": _expand(omasks, places.OBLASTS),
            "year": {str(y): n for y, n in sorted(years.items(), reverse=True)},
        }

    # -- one document ----------------------------------------------------------------
    def document(self, doc_id: str, q: str = "") -> dict | None:
        with self._lock:
            st = self.state()
            stored = st.searcher.document(id=doc_id)
            if stored is None:
                return None
            matcher = self.build(st, parse(q))[3]
        date = int_to_date(stored.get("date"))
        body = stored.get("body") or ""
        return {
            "id": stored["id"],
            "title": stored.get("title") or "",
            "title_html": highlight_all(stored.get("title") or "", matcher),
            "body_html": [highlight_all(p, matcher) for p in body.split("\n") if p.strip()],
            "matches": len(find_spans(body, matcher)),
            "date": date.isoformat() if date else None,
            "date_source": stored.get("date_source"),
            "views": stored.get("views"),
            "url": stored.get("url"),
            "source": stored.get("source"),
            "topics": _split(stored.get("topics")),
            "districts": _split(stored.get("district")),
            "oblasts": _split(stored.get("oblast")),
        }

    # -- statistics -------------------------------------------------------------------
    def stats(self) -> dict:
        with self._lock:
            st = self.state()
            dated = [d for d in st.dates if d]
            omasks = Counter(b for b in st.oblast_bits if b)
            docs = st.searcher.doc_count()
        manifest = self.store.manifest(st.generation)
        built_version = manifest.get("analyzer_version")
        return {
            "documents": docs,
            "date_range": [int_to_date(min(dated)).isoformat(), int_to_date(max(dated)).isoformat()]
            if dated else None,
            "undated": len(st.dates) - len(dated),
            "oblasts": _expand(omasks, places.OBLASTS),
            "index_bytes": self.store.size_bytes(st.generation),
            "index": str(self.store.root),
            "generation": st.generation,
            "built_at": manifest.get("built_at"),
            "sources": manifest.get("sources", []),
            "analyzer_version": built_version,
            "code_analyzer_version": ANALYZER_VERSION,
            "reindex_needed": built_version != ANALYZER_VERSION,
        }


def _date_int(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _split(value) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _expand(masks: Counter, names) -> dict[str, int]:
    counts: Counter = Counter()
    for mask, n in masks.items():
        i = 0
        while mask:
            if mask & 1:
                counts[names[i]] += n
            mask >>= 1
            i += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def parsed_text(parsed: ParsedQuery) -> str:
    parts = []
    for clause in parsed.clauses:
        parts.append(" OR ".join(_atom_text(a) for a in clause.alternatives))
    parts += ["-" + _atom_text(a) for a in parsed.excluded]
    return " ".join(parts)


def _atom_text(a: Atom) -> str:
    text = f'"{a.text}"' if a.kind == "phrase" else a.text + ("*" if a.kind == "prefix" else "")
    return f"{a.field}:{text}" if a.field else text
