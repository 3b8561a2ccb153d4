"""The searcher: parsed query → Whoosh query → ranked, filtered, faceted, highlighted results.

One ``SearchEngine`` per process holds one Whoosh searcher and refreshes it when
the served generation changes (``CURRENT``) or the generation itself gets new
documents.  Everything it returns is plain data (dicts, lists, strings) so that
``web/`` never touches Whoosh.

How a query is answered: document sets are numpy boolean masks over the index's document
numbers; a term's postings come as arrays, sliced from the segment's compact postings
(``indexer/sidecar.py``, memory-mapped) or, for rare terms and segments without them,
decoded from Whoosh's blocks; filters, facets, date sorting and the first BM25F pass are
array operations over the matching documents, and Whoosh's own matchers score only the few
candidates that can reach the page, so scores and order stay Whoosh's.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.scoring import BM25F

from indexer import places
from indexer.analysis import ANALYZER_VERSION, analyze, fold, has_kyrgyz_letters, is_stopword, normalize
from indexer.schema import int_to_date
from indexer.sidecar import SegmentPostings, positional_fields, read_term
from indexer.store import GenerationUnusable, IndexStore, describe_error
from search.filters import Filters
from search.highlight import TermMatcher, find_spans, highlight_all, snippet
from search.postings import gate_phrases, phrase_slots, scored_terms
from search.query import Atom, ParsedQuery, parse

TITLE_BOOST = 2.5
FOLD_WEIGHT = 0.6          # a keyboard-folded match ranks below the exact-letter one
MAX_PER_PAGE = 100
SORTS = ("relevance", "newest", "oldest")
CACHE_SIZE = 512                  # result pages per generation
FILTER_CACHE_SIZE = 64            # filter doc sets per generation
TERM_CACHE_POSTINGS = 4_000_000   # postings of decoded terms kept per generation (~16 B each)
DOCSET_CACHE_DOCS = 2_000_000     # docnums of phrase / prefix doc sets kept per generation
TIMELINE_MONTHS = 36              # a timeline by month up to this span, by year beyond
NEAR_TIE = 1e-9                   # relative score gap below which Whoosh's matchers decide the order


class NoIndex(Exception):
    """No index has been built yet at this location."""


class IndexUnavailable(NoIndex):
    """The served generation cannot be opened (missing folder, garbage Whoosh files or
    manifest); the message names the generation and the fix (rollback or reindex)."""


@dataclass
class _Segment:
    offset: int
    doc_count: int
    reader: object
    compact: dict            # field → SegmentPostings (missing: read from Whoosh)


@dataclass
class _Term:
    """One term of one field over the whole index: global docnums (ascending), BM25F
    contributions (None for unscored fields) and, once a phrase needed them, position keys
    (docnum << 32 | position, ascending)."""
    ids: np.ndarray
    contrib: np.ndarray | None
    keys: np.ndarray | None = None


@dataclass
class _State:
    """One open generation: its searcher and what is derived from it."""
    generation: str
    index: object
    searcher: object
    n: int                                    # document numbers run 0 … n-1
    live: np.ndarray                          # bool per docnum: not deleted
    dates: np.ndarray                         # yyyymmdd per docnum, 0 = undated
    district_bits: np.ndarray
    oblast_bits: np.ndarray
    segments: list
    deleted: frozenset = frozenset()
    fold_map: dict[str, list[str]] | None = None
    cache: OrderedDict = field(default_factory=OrderedDict)       # result pages
    filters: OrderedDict = field(default_factory=OrderedDict)     # Filters → mask
    terms: OrderedDict = field(default_factory=OrderedDict)       # (field, text) → _Term
    terms_size: int = 0
    docsets: OrderedDict = field(default_factory=OrderedDict)     # query → docnums (int32)
    docsets_size: int = 0
    years: np.ndarray | None = None           # date // 10000 per docnum
    months: np.ndarray | None = None          # year·12 + month-1 per docnum, -1 undated
    by_date: np.ndarray | None = None         # live dated docnums by (date, docnum)
    by_date_keys: np.ndarray | None = None    # their dates, for searchsorted
    rank_newest: np.ndarray | None = None     # docnum → rank by (date, docnum), larger = newer
    rank_oldest: np.ndarray | None = None     # docnum → rank by (undated, date, docnum)
    place_masks: dict = field(default_factory=dict)   # column → (mask id per docnum, masks)
    length_norms: dict = field(default_factory=dict)  # (field, B, K1, avg) → norm per docnum
    compact_postings: int = 0                 # postings served from compact files


class SearchEngine:
    def __init__(self, index_root=None, store: IndexStore | None = None, compact: bool = True):
        self.store = store or IndexStore(index_root)
        self.compact = compact        # False: read every term from Whoosh (for comparisons)
        self._lock = threading.RLock()
        self._state: _State | None = None

    # -- the open generation ----------------------------------------------------
    def _open(self, name: str) -> _State:
        self.store.read_manifest(name)          # GenerationUnusable: no folder, no readable manifest
        ix = whoosh_index.open_dir(str(self.store.path(name)))
        searcher = ix.searcher(weighting=BM25F())
        return self._derive(name, ix, searcher)

    def _derive(self, name, ix, searcher) -> _State:
        reader = searcher.reader()
        n = reader.doc_count_all()
        live = np.ones(n, bool)
        deleted: set[int] = set()
        path = self.store.path(name)
        fields = positional_fields(searcher.schema)
        segments = []
        leaves = reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]
        for leaf, offset in leaves:
            if leaf.has_deletions():
                dels = [offset + d for d in leaf.deleted_docs_set]
                deleted.update(dels)
                live[dels] = False
            compact = {}
            if self.compact and hasattr(leaf, "segment"):
                sid = leaf.segment().segment_id()
                for f in fields:
                    sp = SegmentPostings.open(path, sid, f, leaf.doc_count_all())
                    if sp is not None:
                        compact[f] = sp
            segments.append(_Segment(offset, leaf.doc_count_all(), leaf, compact))

        def column(name):
            return np.fromiter(reader.column_reader(name), np.int64, n)

        return _State(
            generation=name, index=ix, searcher=searcher, n=n, live=live,
            dates=column("date"), district_bits=column("district_bits"), oblast_bits=column("oblast_bits"),
            segments=segments, deleted=frozenset(deleted),
        )

    def state(self) -> _State:
        """The current generation's state, reopened when the served index changed."""
        with self._lock:
            try:
                name = self.store.current()
            except (OSError, ValueError) as exc:      # an unreadable or undecodable CURRENT
                raise IndexUnavailable(f"the index cannot be read ({describe_error(exc)})") from None
            st = self._state
            if name is None:
                raise NoIndex(f"no index at {self.store.root}; run `kgsearch reindex SOURCE...` first")
            if st is None or st.generation != name:
                try:
                    new = self._open(name)
                except GenerationUnusable as exc:
                    raise IndexUnavailable(str(exc)) from None
                except Exception as exc:          # any failure to open: 503 with the fix, never a 500
                    raise IndexUnavailable(str(GenerationUnusable(
                        name, f"its Whoosh files are unreadable: {describe_error(exc)}",
                        self.store.rollback_target(name)))) from None
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

    def _atom_query(self, st, atom: Atom, highlight: set[str], prefixes: list[str],
                    exact: dict[str, bool] | None = None):
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
            if exact is not None:   # term → typed with its exact letters somewhere in the query
                for t, w in alt:
                    exact[t] = exact.get(t, False) or w == 1.0
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
        exact: dict[str, bool] = {}
        prefixes: list[str] = []
        clauses = parsed.clauses
        content = [c for c in clauses
                   if any(a.kind != "word" or not is_stopword(normalize(a.text)) for a in c.alternatives)]
        if content:
            clauses = content  # stop words only matter when they are all the user typed
        built = []
        for clause in clauses:
            subs = [q for q in (self._atom_query(st, a, highlight, prefixes, exact)
                                for a in clause.alternatives)
                    if q is not None]
            if subs:
                built.append(Q.Or(subs) if len(subs) > 1 else subs[0])
        scratch: set[str] = set()
        excluded = [q for q in (self._atom_query(st, a, scratch, []) for a in parsed.excluded) if q is not None]
        # keyboard-fold variants are marked too, but a snippet prefers the exact terms
        variants = frozenset(t for t, is_exact in exact.items() if not is_exact)
        matcher = TermMatcher(frozenset(highlight), tuple(prefixes), variants=variants)
        if not built:
            return None, None, (Q.Or(excluded) if excluded else None), matcher
        all_q = Q.And(built) if len(built) > 1 else None
        any_q = Q.Or(built) if len(built) > 1 else built[0]
        return all_q, any_q, (Q.Or(excluded) if excluded else None), matcher

    # -- doc sets ------------------------------------------------------------------
    def _mask(self, st: _State, docnums=None) -> np.ndarray:
        """A boolean mask over the docnums, with ``docnums`` (an array or iterable) set."""
        mask = np.zeros(st.n, bool)
        if docnums is not None:
            if not isinstance(docnums, np.ndarray):
                docnums = np.fromiter(docnums, np.int64)
            mask[docnums] = True
        return mask

    @staticmethod
    def ids(mask: np.ndarray) -> set[int]:
        """The docnums of a mask, as a set of ints (for tests and Whoosh filters)."""
        return set(np.flatnonzero(mask).tolist())

    # -- filters ----------------------------------------------------------------
    def _filter_docs(self, st: _State, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        cached = st.filters.get(filters)
        if cached is not None:
            st.filters.move_to_end(filters)
            return cached
        mask = st.live.copy()
        if filters.date_from or filters.date_to:
            lo = _date_int(filters.date_from) if filters.date_from else 1
            hi = _date_int(filters.date_to) if filters.date_to else 99991231
            mask &= self._date_range_docs(st, max(lo, 1), hi)
        if filters.districts:
            mask &= self._docs(st, Q.Or([Q.Term("district", d) for d in filters.districts]))
        if filters.oblasts:
            mask &= self._docs(st, Q.Or([Q.Term("oblast", o) for o in filters.oblasts]))
        st.filters[filters] = mask
        while len(st.filters) > FILTER_CACHE_SIZE:
            st.filters.popitem(last=False)
        return mask

    def _date_range_docs(self, st: _State, lo: int, hi: int) -> np.ndarray:
        """Documents dated lo ≤ yyyymmdd ≤ hi (lo ≥ 1: undated ones never match), by binary
        search in the docnums sorted by date (the same set as ``NumericRange("date", lo, hi)``)."""
        if st.by_date is None:
            dated = np.flatnonzero((st.dates > 0) & st.live)
            order = dated[np.argsort(st.dates[dated], kind="stable")]
            st.by_date = order
            st.by_date_keys = st.dates[order]
        i = int(np.searchsorted(st.by_date_keys, lo, side="left"))
        j = int(np.searchsorted(st.by_date_keys, hi, side="right"))
        return self._mask(st, st.by_date[i:j])

    # -- terms: postings as arrays -----------------------------------------------------
    def _term(self, st: _State, fieldname: str, text: str) -> _Term:
        """Every document (deleted ones too) with ``text`` in ``fieldname``: docnums, weights,
        and the BM25F contribution idf·(K1+1)·tf / (tf + K1·(1-B+B·len/avglen)) Whoosh's
        scorer gives each document for the term (before the query's boost).  Sliced from the
        compact postings where a segment has the term there, else decoded from Whoosh;
        cached per generation (``TERM_CACHE_POSTINGS``)."""
        key = (fieldname, text)
        entry = st.terms.get(key)
        if entry is not None:
            st.terms.move_to_end(key)
            return entry
        ids_parts, tf_parts = [], []
        for seg in st.segments:
            compact = seg.compact.get(fieldname)
            got = compact.postings(text) if compact is not None else None
            if got is not None:
                ids, tf = got
                st.compact_postings += len(ids)
            elif (fieldname, text) in seg.reader:
                ids, tf, _ = read_term(seg.reader, fieldname, text, positions=False)
            else:
                continue
            ids_parts.append(ids + np.int32(seg.offset) if seg.offset else np.array(ids, np.int32))
            tf_parts.append(tf)
        ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int32)
        tf = np.concatenate(tf_parts).astype(np.float64) if tf_parts else np.zeros(0)
        contrib = None
        searcher = st.searcher
        if len(ids) and fieldname in searcher.schema and searcher.schema[fieldname].scorable:
            scorer = searcher.weighting.scorer(searcher, fieldname, text)
            norm = self._length_norm(st, fieldname, scorer.B, scorer.K1, scorer.avgfl)
            # Whoosh's bm25(): idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))),
            # the same double-precision operations in the same order (norm = K1 * (…))
            contrib = scorer.idf * ((tf * (scorer.K1 + 1)) / (tf + norm[ids]))
        entry = _Term(ids, contrib)
        st.terms[key] = entry
        st.terms_size += len(ids) + 1
        self._evict_terms(st)
        return entry

    @staticmethod
    def _evict_terms(st: _State) -> None:
        """Least recently used terms out until the cache holds ``TERM_CACHE_POSTINGS``."""
        while st.terms_size > TERM_CACHE_POSTINGS and len(st.terms) > 1:
            _, old = st.terms.popitem(last=False)
            st.terms_size -= len(old.ids) + 1 + (len(old.keys) if old.keys is not None else 0)

    def _positions(self, st: _State, fieldname: str, text: str) -> np.ndarray:
        """Position keys (docnum << 32 | position, ascending) of a term of a phrase field."""
        entry = self._term(st, fieldname, text)
        if entry.keys is not None:
            return entry.keys
        parts = []
        for seg in st.segments:
            compact = seg.compact.get(fieldname)
            pos = compact.positions(text) if compact is not None else None
            if pos is not None:
                ids, tf = compact.postings(text)
                counts = tf.astype(np.int64)
            elif (fieldname, text) in seg.reader:
                ids, tf, pos = read_term(seg.reader, fieldname, text, positions=True)
                counts = tf.astype(np.int64)
            else:
                continue
            docs = np.repeat(ids.astype(np.int64) + seg.offset, counts)
            parts.append((docs << 32) | pos.astype(np.int64))
        keys = entry.keys = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        if st.terms.get((fieldname, text)) is entry:
            st.terms_size += len(keys)
            self._evict_terms(st)
        else:  # not cached (evicted already): keep the count of what is cached exact
            entry.keys = None
        return keys

    def _length_norm(self, st, fieldname, B, K1, avgfl) -> np.ndarray:
        key = (fieldname, B, K1, avgfl)
        norm = st.length_norms.get(key)
        if norm is None:
            parts = []
            for seg in st.segments:
                dfl = seg.reader.doc_field_length
                parts.extend(K1 * ((1 - B) + B * (dfl(d, fieldname, 1) or 0) / avgfl)
                             for d in range(seg.doc_count))
            norm = st.length_norms[key] = np.asarray(parts, np.float64)
        return norm

    def _docs(self, st: _State, q) -> np.ndarray:
        """The documents ``q`` matches (deleted ones included), as a mask: set algebra over
        term postings for the queries ``build`` makes (Term, Or, And); phrases are checked on
        the positions of the documents having all their words; anything else goes to
        Whoosh's ``docs_for_query``."""
        kind = type(q)
        if kind is Q.Term:
            return self._mask(st, self._term(st, q.fieldname, q.text).ids)
        if kind is Q.Or:
            mask = self._mask(st)
            for sub in q.subqueries:
                if type(sub) is Q.Term:
                    mask[self._term(st, sub.fieldname, sub.text).ids] = True
                else:
                    mask |= self._docs(st, sub)
            return mask
        if kind is Q.And:
            if not q.subqueries:
                return self._mask(st)
            mask = None
            for sub in q.subqueries:
                m = self._docs(st, sub)
                mask = m if mask is None else (mask & m)
            return mask
        cached = st.docsets.get(q)
        if cached is not None:
            st.docsets.move_to_end(q)
            return self._mask(st, cached)
        slots = phrase_slots(q)
        if slots is not None and slots[0] in positional_fields(st.searcher.schema):
            fieldname, words = slots
            candidates = None
            for slot in words:
                m = self._docs(st, Q.Or([Q.Term(fieldname, t) for t in slot]))
                candidates = m if candidates is None else (candidates & m)
            mask = self._phrase_docs(st, fieldname, words, candidates) if candidates.any() else candidates
        else:
            mask = self._mask(st, st.searcher.docs_for_query(q))
        docnums = np.flatnonzero(mask).astype(np.int32)
        st.docsets[q] = docnums
        st.docsets_size += len(docnums) + 1
        while st.docsets_size > DOCSET_CACHE_DOCS and len(st.docsets) > 1:
            _, old = st.docsets.popitem(last=False)
            st.docsets_size -= len(old) + 1
        return mask

    def _phrase_docs(self, st: _State, fieldname: str, slots: list[list[str]], candidates) -> np.ndarray:
        """The candidates (documents having a word of every slot) where the slots' words stand
        at consecutive positions, what Whoosh's ``Phrase`` / ``Sequence`` (slop 1) match: the
        position keys of the first slot, kept where key + i is a key of slot i, for every i."""
        starts = None
        for i, slot in enumerate(slots):
            keys = [self._positions(st, fieldname, t) for t in slot]
            keys = keys[0] if len(keys) == 1 else np.unique(np.concatenate(keys))
            keys = keys[candidates[keys >> 32]]          # only documents still in the running
            if starts is None:
                starts = keys
            else:
                want = starts + i
                at = np.searchsorted(keys, want)
                at[at == len(keys)] = 0
                starts = starts[keys[at] == want] if len(keys) else starts[:0]
            if not len(starts):
                return self._mask(st)
            candidates = self._mask(st, starts >> 32)
        return candidates

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
                st.cache[key] = cached
                while len(st.cache) > CACHE_SIZE:
                    st.cache.popitem(last=False)
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
        base = st.live if allowed is None else allowed
        full = None
        if any_q is None:
            # nothing searchable typed (only punctuation, say) → nothing; an empty query → all
            matched = base.copy() if parsed.empty else self._mask(st)
        else:
            # one doc set per wanted clause: their union matches, their intersection has all words
            clause_sets = [self._docs(st, c) for c in (all_q.subqueries if all_q is not None else [any_q])]
            matched = clause_sets[0].copy()
            for m in clause_sets[1:]:
                matched |= m
            matched &= base
            if all_q is not None:
                full = clause_sets[0] & base
                for m in clause_sets[1:]:
                    full &= m
        if excluded_q is not None and matched.any():
            excluded = self._docs(st, excluded_q)
            matched &= ~excluded
            if full is not None:
                full &= ~excluded
        docs = np.flatnonzero(matched)
        total = len(docs)
        offset = (page - 1) * per_page
        want = offset + per_page
        if any_q is None or sort != "relevance":
            docnums = self._sorted_by_date(st, docs, want, sort)[offset:want]
            scores = {}
        else:
            docnums, scores = self._ranked(st, all_q, any_q, matched, full, offset, want)
        hits = [self._hit(searcher.stored_fields(d), scores.get(d), matcher) for d in docnums]
        return {
            "query": parsed_text(parsed),
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": (total + per_page - 1) // per_page,
            "sort": sort,
            "hits": hits,
            "facets": self._facets(st, docs),
            "timeline": self._timeline(st, docs),
            "generation": st.generation,
        }

    def _sorted_by_date(self, st, docs: np.ndarray, want: int, sort: str) -> list[int]:
        """Newest first by (date, docnum) descending, or oldest first by (undated, date,
        docnum), through a rank per docnum computed once per generation."""
        if sort == "oldest":
            if st.rank_oldest is None:
                # lexsort: last key first — undated last, then by date, then by docnum
                order = np.lexsort((np.arange(st.n), st.dates, st.dates == 0))
                st.rank_oldest = _ranks(order)
            key = st.rank_oldest[docs]
        else:
            if st.rank_newest is None:
                order = np.lexsort((-np.arange(st.n), st.dates))
                st.rank_newest = _ranks(order)
            key = -st.rank_newest[docs]
        if len(docs) > want:
            part = np.argpartition(key, want - 1)[:want]
            docs, key = docs[part], key[part]
        return docs[np.argsort(key, kind="stable")].tolist()

    def _ranked(self, st, all_q, any_q, matched, full, offset, want):
        """Documents with every wanted word first, then the best partial matches."""
        docnums: list[int] = []
        scores: dict[int, float] = {}
        if all_q is None:
            tiers = [(any_q, matched)]
        else:
            tiers = [(all_q, full), (any_q, matched & ~full)]
        skip = offset
        memo: dict = {}          # both tiers score the same terms: sum them once
        for q, docs in tiers:
            size = int(np.count_nonzero(docs))
            if size <= skip:
                skip -= size
                continue
            for docnum, score in self._top(st, q, docs, skip + (want - offset) - len(docnums), memo)[skip:]:
                docnums.append(docnum)
                scores[docnum] = score
            skip = 0
            if len(docnums) >= want - offset:
                break
        return docnums[: want - offset], scores

    def _top(self, st, q, docs: np.ndarray, limit, memo: dict | None = None) -> list[tuple[int, float]]:
        """The ``limit`` best (docnum, score) of ``q`` among ``docs`` (a mask), best first,
        ties by docnum — what ``searcher.search(q, limit=limit, filter=docs)`` returns.

        For the word queries ``build`` makes (Term / Or / And trees over title and body, with
        phrases), BM25F is summed per document from the term arrays: each term's score is
        computed with Whoosh's own formula and operation order, so a document's score differs
        from Whoosh's only in the order of the final additions (a few units in the last
        place).  Where two candidates come that close (ties, duplicates), Whoosh's own matcher
        scores those few (``skip_to``), so the order is always Whoosh's.  Anything else goes
        through ``searcher.search``."""
        terms = scored_terms(q, st.searcher.schema)
        if terms is None:
            results = st.searcher.search(q, limit=limit, filter=self.ids(docs))
            return [(hit.docnum, hit.score) for hit in results]
        gates = {}
        for gate, _, _, _ in terms:
            if gate is not None and id(gate) not in gates:
                gates[id(gate)] = self._docs(st, gate)
        key = tuple((id(gate), f, t, b) for gate, f, t, b in terms)
        scores = memo.get(key) if memo is not None else None
        if scores is None:
            scores = self._scores(st, terms, gates)
            if memo is not None:
                memo[key] = scores
        cands = np.flatnonzero(docs)
        if not len(cands):
            return []
        s = scores[cands]
        if len(cands) > limit:
            floor = np.partition(s, len(s) - limit)[len(s) - limit]   # the limit-th best
            keep = s >= floor - NEAR_TIE * max(1.0, abs(floor))
            cands, s = cands[keep], s[keep]
        order = np.lexsort((cands, -s))
        cands, s = cands[order], s[order]
        near = np.abs(np.diff(s)) <= NEAR_TIE * np.maximum(1.0, np.abs(s[1:]))
        if near.any():
            at = np.flatnonzero(np.concatenate(([False], near)) | np.concatenate((near, [False])))
            gate_docs = {k: np.flatnonzero(m) for k, m in gates.items()}
            exact = self._exact_scores(st, q, cands[at].tolist(), gate_docs)
            s = s.copy()
            s[at] = [exact.get(d, v) for d, v in zip(cands[at].tolist(), s[at].tolist())]
            order = np.lexsort((cands, -s))
            cands, s = cands[order], s[order]
        return list(zip(cands[:limit].tolist(), s[:limit].tolist()))

    def _scores(self, st, terms, gates) -> np.ndarray:
        """Σ boost · BM25F(term) per docnum over ``terms`` = [(gate, field, text, boost)], the
        sum Whoosh's matchers compute (up to the order of the additions).  A term of a phrase (gate = the
        phrase query) counts only in the documents the phrase matches (``gates[id(gate)]``):
        Whoosh scores a phrase match as the sum of its words' scores."""
        scores = np.zeros(st.n)
        for gate, fieldname, text, boost in terms:
            entry = self._term(st, fieldname, text)
            if entry.contrib is None or not len(entry.ids):
                continue
            add = entry.contrib * boost if boost != 1.0 else entry.contrib
            if gate is not None:
                add = np.where(gates[id(gate)][entry.ids], add, 0.0)
            scores[entry.ids] += add          # a term's docnums are distinct
        return scores

    @staticmethod
    def _exact_scores(st, q, candidates: list[int], gates=None) -> dict[int, float]:
        """Whoosh's score of ``q`` for each candidate docnum (the matcher skips to each).
        Phrases (``gates``: id(query) → the docnums it matches, ascending) are scored by their
        words' intersection matcher stopping only at those documents — Whoosh's phrase score,
        without its position checks."""
        searcher = st.searcher
        context = searcher.context()
        out: dict[int, float] = {}
        cands = sorted(candidates)
        for sub, offset in searcher.leaf_searchers():
            end = offset + sub.doc_count_all()
            local = [d - offset for d in cands if offset <= d < end]
            if not local:
                continue
            seg_q = gate_phrases(q, gates, offset, end) if gates else q
            m = seg_q.matcher(sub, context)
            for d in local:
                if not m.is_active():
                    break
                if m.id() < d:
                    m.skip_to(d)
                    if not m.is_active():
                        break
                if m.id() == d:
                    out[d + offset] = m.score()
        return out

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

    def _place_masks(self, st, column: str):
        """(mask id per docnum, membership matrix [distinct mask × place]) of a place column:
        few distinct combinations of places occur, so the counts over any documents are one
        ``bincount`` of their mask ids and one product with the matrix."""
        got = st.place_masks.get(column)
        if got is None:
            values, ids = np.unique(getattr(st, column), return_inverse=True)
            width = max(int(values.max()).bit_length(), 1) if len(values) else 1
            matrix = ((values[:, None] >> np.arange(width)) & 1).astype(np.int64)
            got = st.place_masks[column] = (ids.astype(np.int32).ravel(), matrix)
        return got

    def _place_counts(self, st, column: str, names, docs: np.ndarray) -> dict[str, int]:
        ids, matrix = self._place_masks(st, column)
        counts = np.bincount(ids[docs], minlength=len(matrix)) @ matrix
        found = {names[b]: int(counts[b]) for b in np.flatnonzero(counts)}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))

    def _facets(self, st, docs: np.ndarray) -> dict:
        """District, oblast and year counts over the matching docnums (0 = no place / date)."""
        if st.years is None:
            st.years = (st.dates // 10000).astype(np.int64)
        years = np.bincount(st.years[docs]) if len(docs) else np.zeros(0, np.int64)
        year_counts = {int(y): int(years[y]) for y in np.flatnonzero(years) if y}
        return {
            "district": self._place_counts(st, "district_bits", places.DISTRICTS, docs),
            "oblast": self._place_counts(st, "oblast_bits", places.OBLASTS, docs),
            "year": {str(y): n for y, n in sorted(year_counts.items(), reverse=True)},
        }

    def _timeline(self, st, docs: np.ndarray) -> dict:
        """How many matching documents per month — per year when their dates span more than
        ``TIMELINE_MONTHS`` months — from the first period to the last, empty ones included;
        ``undated``: matching documents without a date."""
        if st.months is None:
            d = st.dates
            st.months = np.where(d > 0, d // 10000 * 12 + d // 100 % 100 - 1, -1)
        months = st.months[docs]
        dated = months[months >= 0]
        undated = int(len(months) - len(dated))
        if not len(dated):
            return {"unit": None, "bins": [], "undated": undated, "peak": 0}
        lo, hi = int(dated.min()), int(dated.max())
        if hi - lo < TIMELINE_MONTHS:
            unit, first = "month", lo
            counts = np.bincount(dated - lo, minlength=hi - lo + 1)
            label = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)]
        else:
            unit, first = "year", lo // 12
            counts = np.bincount(dated // 12 - first, minlength=hi // 12 - first + 1)
            label = [str(y) for y in range(first, hi // 12 + 1)]
        # attention as a share (issue 15): ``all`` = live indexed articles in the period
        every = st.months[st.live]
        if unit == "month":
            every = every[(every >= lo) & (every <= hi)]
            alls = np.bincount(every - lo, minlength=hi - lo + 1)
        else:                      # whole years: the first and last year from January to December
            years = every[every >= 0] // 12
            years = years[(years >= first) & (years <= hi // 12)]
            alls = np.bincount(years - first, minlength=hi // 12 - first + 1)
        shares = np.divide(counts, alls, out=np.zeros(len(counts)), where=alls > 0)
        bins = [{"period": p, "count": int(n), "all": int(a), "share": round(float(s), 6)}
                for p, n, a, s in zip(label, counts.tolist(), alls.tolist(), shares.tolist())]
        return {"unit": unit, "bins": bins, "undated": undated, "peak": int(counts.max()),
                "peak_share": round(float(shares.max()), 6)}

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
            "date_evidence": stored.get("date_evidence") or "",
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
            # documents deleted by `kgsearch delete`/`add` (copy-on-write) are not counted
            live_dates = st.dates[st.live]
            dated = live_dates[live_dates > 0]
            oblasts = self._place_counts(st, "oblast_bits", places.OBLASTS, np.flatnonzero(st.live))
            docs = st.searcher.doc_count()
            undated = int(len(live_dates) - len(dated))
        manifest = self.store.manifest(st.generation)
        built_version = manifest.get("analyzer_version")
        return {
            "documents": docs,
            "date_range": [int_to_date(int(dated.min())).isoformat(), int_to_date(int(dated.max())).isoformat()]
            if len(dated) else None,
            "undated": undated,
            "oblasts": oblasts,
            "index_bytes": self.store.size_bytes(st.generation),
            "index": str(self.store.root),
            "generation": st.generation,
            "built_at": manifest.get("built_at"),
            "sources": manifest.get("sources", []),
            "analyzer_version": built_version,
            "code_analyzer_version": ANALYZER_VERSION,
            "reindex_needed": built_version != ANALYZER_VERSION,
        }

    # -- every match, for export and feeds (issue 15) -----------------------------------
    def matches(self, q: str = "", filters: Filters = Filters(), sort: str | None = None,
                body: bool = False, chunk: int = 256):
        """(total, iterator of hit dicts) over EVERY document of the matching set — the set
        ``search()``'s ``total`` counts: today ``matched`` in ``_search`` (the documents with any
        wanted clause, minus the excluded ones, within the filters); re-point this when ``_search``
        counts another set — in ``sort`` order (relevance: the all-words tier by score, then the
        partial tier, as ``_ranked``; newest / oldest: ``_sorted_by_date``).

        The set, the order and the scores are computed now (docnum arrays); the stored fields
        are read lazily, ``chunk`` documents at a time under the lock, so memory stays constant
        however many documents match.  Hit keys: id, title, date, date_source, url, source,
        districts, oblasts, topics, score (None unless sorted by relevance), and body if asked."""
        parsed = parse(q)
        if sort is None:
            sort = "relevance" if not parsed.empty else "newest"
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        with self._lock:
            st = self.state()
            all_q, any_q, excluded_q, _ = self.build(st, parsed)
            allowed = self._filter_docs(st, filters)
            base = st.live if allowed is None else allowed
            full = None
            if any_q is None:
                matched = base.copy() if parsed.empty else self._mask(st)
            else:
                clause_sets = [self._docs(st, c) for c in (all_q.subqueries if all_q is not None else [any_q])]
                matched = clause_sets[0].copy()
                for m in clause_sets[1:]:
                    matched |= m
                matched &= base
                if all_q is not None:
                    full = clause_sets[0] & base
                    for m in clause_sets[1:]:
                        full &= m
            if excluded_q is not None and matched.any():
                excluded = self._docs(st, excluded_q)
                matched &= ~excluded
                if full is not None:
                    full &= ~excluded
            docs = np.flatnonzero(matched)
            total = len(docs)
            if any_q is None or sort != "relevance":
                order = np.asarray(self._sorted_by_date(st, docs, total, sort), np.int64)
                scores = None
            else:
                tiers = [matched] if full is None else [full, matched & ~full]
                memo: dict = {}
                parts, score_parts = [], []
                for q_, tier in zip([any_q] if full is None else [all_q, any_q], tiers):
                    size = int(np.count_nonzero(tier))
                    if size:
                        top = self._top(st, q_, tier, size, memo)
                        parts.append(np.fromiter((d for d, _ in top), np.int64, len(top)))
                        score_parts.append(np.fromiter((s for _, s in top), np.float64, len(top)))
                order = np.concatenate(parts) if parts else np.zeros(0, np.int64)
                scores = np.concatenate(score_parts) if score_parts else np.zeros(0)
            # Stored-field readers of its own over the same segments (Whoosh's per-document
            # readers, light: no term index), so a long export survives the server switching
            # generations, which closes the shared searcher; else the shared one, under the lock.
            own = None
            try:
                own = [(seg.offset, seg.reader._codec.per_document_reader(seg.reader._storage,
                                                                         seg.reader.segment()))
                       for seg in st.segments]
                if len(order):
                    self._stored(own, st.searcher.schema, int(order[0]))        # its files open now
            except Exception:                               # noqa: BLE001 — the shared one will do
                own = None
            schema = st.searcher.schema

        def read(docnums):
            if own is not None:
                return [self._stored(own, schema, int(d)) for d in docnums]
            with self._lock:
                return [st.searcher.stored_fields(int(d)) for d in docnums]

        def rows():
            try:
                for start in range(0, len(order), chunk):
                    for i, fields in enumerate(read(order[start:start + chunk])):
                        yield self._export_row(fields, scores[start + i] if scores is not None else None, body)
            finally:
                for _, perdoc in own or ():
                    perdoc.close()

        return total, rows()

    @staticmethod
    def _stored(perdocs, schema, docnum: int) -> dict:
        """The stored fields of a global docnum from [(offset, per-document reader)], as
        ``SegmentReader.stored_fields`` gives them (fields no longer in the schema left out)."""
        for offset, perdoc in reversed(perdocs):
            if docnum >= offset:
                return {k: v for k, v in perdoc.stored_fields(docnum - offset).items() if k in schema}
        raise IndexError(docnum)

    @staticmethod
    def _export_row(fields: dict, score, body: bool) -> dict:
        date = int_to_date(fields.get("date"))
        hit = {
            "id": fields["id"],
            "title": fields.get("title") or "",
            "date": date.isoformat() if date else None,
            "date_source": fields.get("date_source"),
            "url": fields.get("url"),
            "source": fields.get("source"),
            "districts": _split(fields.get("district")),
            "oblasts": _split(fields.get("oblast")),
            "topics": _split(fields.get("topics")),
            "score": round(float(score), 4) if score is not None else None,
        }
        if body:
            hit["body"] = fields.get("body") or ""
        return hit


def _ranks(order: np.ndarray) -> np.ndarray:
    """rank[docnum] = its place in ``order``."""
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _date_int(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _split(value) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def parsed_text(parsed: ParsedQuery) -> str:
    parts = []
    for clause in parsed.clauses:
        parts.append(" OR ".join(_atom_text(a) for a in clause.alternatives))
    parts += ["-" + _atom_text(a) for a in parsed.excluded]
    return " ".join(parts)


def _atom_text(a: Atom) -> str:
    text = f'"{a.text}"' if a.kind == "phrase" else a.text + ("*" if a.kind == "prefix" else "")
    return f"{a.field}:{text}" if a.field else text
