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

A query is a tree (search/query.py); each top-level unit becomes one Whoosh query and one
doc set: ``total`` counts the documents in all of them, partial matches (some soft units)
follow.  Threads share one engine without an engine-wide lock: the generation's state is
swapped under a short lock and closed when its last user is done; Whoosh's readers (which
seek a shared file position) are entered under a per-generation lock for one call at a time;
the caches have their own short lock.  A query's cost is bounded (``PREFIX_TERMS``,
``QUERY_TERMS``, ``QUERY_POSTINGS``) and pages of a query cut by that bound are served one
at a time, with a pause (``HEAVY_SHARE``, ``HEAVY_RATE``; ``Busy`` when too many wait), so
clients repeating one cannot starve the others.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.query import ConstantScoreQuery
from whoosh.scoring import BM25F

from indexer import fields as registry
from indexer.analysis import ANALYZER_VERSION, analyze, fold, has_kyrgyz_letters, is_stopword, normalize
from indexer.lang import needs_reindex
from indexer.schema import int_to_date
from indexer.sidecar import SegmentPostings, positional_fields, read_term
from indexer.store import GenerationUnusable, IndexStore, describe_error
from search.expand import Expander
from search.facets import kind_of
from search.filters import Filters
from search.highlight import HTML, TermMatcher, find_spans, highlight_all, snippet_fragment
from search.postings import gate_phrases, phrase_slots, scored_terms
from search.query import Atom, Node, ParsedQuery, parse, to_text

TITLE_BOOST = 2.5
FOLD_WEIGHT = 0.6          # a keyboard-folded match ranks below the exact-letter one
MAX_PER_PAGE = 100
SORTS = ("relevance", "newest", "oldest")
CACHE_SIZE = 512                  # result pages per generation
QUERY_CACHE = 16                  # evaluated queries (doc sets, score array, facets) per generation
FILTER_CACHE_SIZE = 64            # filter doc sets per generation
TERM_CACHE_POSTINGS = 4_000_000   # postings of decoded terms kept per generation (~16 B each)
DOCSET_CACHE_DOCS = 2_000_000     # docnums of phrase / prefix doc sets kept per generation
TIMELINE_MONTHS = 36              # a timeline by month up to this span, by year beyond
NEAR_TIE = 1e-9                   # relative score gap below which Whoosh's matchers decide the order
# The cost bound of a query: a prefix ``ка*`` stands for at most PREFIX_TERMS index terms (the
# ones most documents have), and all the prefixes of one query together for at most QUERY_TERMS
# terms and QUERY_POSTINGS postings; what is cut is said in the result's ``notes``.
PREFIX_TERMS = 128
QUERY_TERMS = 1024
QUERY_POSTINGS = 2_000_000
# Pages of such cut queries (cached or not) go through one lane per process: one at a time,
# computing at most HEAVY_SHARE of the time and at most HEAVY_RATE pages a second; when
# HEAVY_WAITING requests already wait for the lane, another one is refused (``Busy``, a 429).
HEAVY_SHARE = 0.3
HEAVY_RATE = 20.0
HEAVY_WAITING = 4


class _Budget:
    """What the prefixes of one query may still expand to (see ``QUERY_TERMS``)."""

    def __init__(self, prefixes: int):
        self.left = max(prefixes, 1)          # prefixes not expanded yet
        self.terms = 0
        self.postings = 0
        self.notes: list[dict] = []

    def allowance(self) -> int:
        """Terms the next prefix may use: an equal share of what is left, at most PREFIX_TERMS."""
        share = (QUERY_TERMS - self.terms) // self.left
        self.left = max(self.left - 1, 1)
        return max(0, min(PREFIX_TERMS, share))


@dataclass
class _Compile:
    """What compiling one query tree collects."""
    budget: _Budget
    drop_stopwords: bool = False
    highlight: set = field(default_factory=set)
    prefixes: list = field(default_factory=list)
    exact: dict = field(default_factory=dict)
    scoring: list = field(default_factory=list)     # the wanted atoms' queries


@dataclass
class _Evaluated:
    """What every page of one query under one set of filters shares."""
    plan: "_Plan"
    full: np.ndarray             # mask: every unit, filters applied
    partial: np.ndarray | None   # mask: some soft units only
    docs: np.ndarray             # docnums of ``full``
    partial_total: int
    notes: list
    facets: dict
    timeline: dict
    memo: dict = field(default_factory=dict)      # score arrays of the query's terms


@dataclass
class _Plan:
    units: list          # [(kind, Whoosh query)], kind "soft" / "required" / "not"
    score_q: object      # Or of the wanted atoms' queries, None when none
    matcher: TermMatcher


class Busy(Exception):
    """Too many requests for queries cut by the cost bound are waiting already; try again in
    ``retry_after`` seconds."""

    def __init__(self, retry_after: int = 1):
        super().__init__("too many broad-prefix queries are waiting; try again shortly")
        self.retry_after = retry_after


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
    by_date: tuple | None = None              # (live dated docnums by (date, docnum), their dates)
    rank_newest: np.ndarray | None = None     # docnum → rank by (date, docnum), larger = newer
    rank_oldest: np.ndarray | None = None     # docnum → rank by (undated, date, docnum)
    place_masks: dict = field(default_factory=dict)   # field → (names, name per posting, docnum per posting)
    length_norms: dict = field(default_factory=dict)  # (field, B, K1, avg) → norm per docnum
    compact_postings: int = 0                 # postings served from compact files
    expander: Expander | None = None          # Latin readings, equivalents, did-you-mean (search/expand.py)
    prefixes: dict = field(default_factory=dict)      # (field, prefix) → [(df, term)] most frequent first
    queries: OrderedDict = field(default_factory=OrderedDict)  # (query, filters) → _Evaluated
    # Threads share a state.  Whoosh's readers seek and read a shared file position, so every
    # call into Whoosh holds ``wlock`` (briefly: one term, one stored document, one rescoring);
    # the caches above are changed under ``clock``; derived arrays are computed outside any
    # lock and published by one assignment (two threads may compute the same one twice).
    wlock: threading.Lock = field(default_factory=threading.Lock)
    clock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0                            # searches using this state now (engine's _lock)
    retired: bool = False                     # replaced: closed when its last user is done


class SearchEngine:
    def __init__(self, index_root=None, store: IndexStore | None = None, compact: bool = True):
        self.store = store or IndexStore(index_root)
        self.compact = compact        # False: read every term from Whoosh (for comparisons)
        self.expand = True            # False: no Latin readings, equivalents, did-you-mean (for comparisons)
        self._lock = threading.Lock()         # held only to read or swap ``_state`` and count users
        self._reopen = threading.Lock()       # one thread opens a new generation; others keep serving
        # pages of queries whose prefixes hit the cost bound are served one at a time, with a
        # pause after each (HEAVY_SHARE, HEAVY_RATE): clients hammering such queries share a
        # small part of one thread's time, and everything else goes on meanwhile
        self._heavy = threading.Lock()
        self._heavy_free_at = 0.0
        self._heavy_count = threading.Lock()
        self._heavy_waiting = 0
        self._state: _State | None = None

    # -- the open generation ----------------------------------------------------
    def _open(self, name: str) -> _State:
        self.store.read_manifest(name)          # GenerationUnusable: no folder, no readable manifest
        ix = whoosh_index.open_dir(str(self.store.path(name)))
        searcher = ix.searcher(weighting=BM25F())
        return self._derive(name, ix, searcher)

    def _open_or_explain(self, name: str) -> _State:
        """``_open``, with any failure to open the served generation as ``IndexUnavailable``
        naming the fix (a 503 on the web, exit 8 on the command line), never a traceback."""
        try:
            return self._open(name)
        except GenerationUnusable as exc:
            raise IndexUnavailable(str(exc)) from None
        except Exception as exc:
            raise IndexUnavailable(str(GenerationUnusable(
                name, f"its Whoosh files are unreadable: {describe_error(exc)}",
                self.store.rollback_target(name)))) from None

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
                    sp = SegmentPostings.open(path, sid, f, leaf.doc_count_all(), reader=leaf)
                    if sp is not None:
                        compact[f] = sp
            segments.append(_Segment(offset, leaf.doc_count_all(), leaf, compact))

        def column(name):
            return np.fromiter(reader.column_reader(name), np.int64, n)

        return _State(
            generation=name, index=ix, searcher=searcher, n=n, live=live,
            dates=column("date"), segments=segments, deleted=frozenset(deleted),
        )

    def state(self) -> _State:
        """The current generation's state, reopened when the served index changed."""
        st = self._enter()
        self._leave(st)
        return st

    @contextmanager
    def _using(self):
        """The current state, kept open (not closed by a generation switch) while in use."""
        st = self._enter()
        try:
            yield st
        finally:
            self._leave(st)

    def _enter(self) -> _State:
        try:
            name = self.store.current()
        except (OSError, ValueError) as exc:      # an unreadable or undecodable CURRENT
            raise IndexUnavailable(f"the index cannot be read ({describe_error(exc)})") from None
        if name is None:
            raise NoIndex(f"no index at {self.store.root}; run `kgsearch reindex SOURCE...` first")
        st = self._state
        if st is not None and st.generation == name and st.searcher.up_to_date():
            with self._lock:
                if self._state is st:
                    st.users += 1
                    return st
        with self._reopen:                    # slow opening outside ``_lock``: others go on
            st = self._state
            if st is None or st.generation != name:
                new = self._open_or_explain(name)
                retire = st
            elif not st.searcher.up_to_date():
                with st.wlock:
                    searcher = st.searcher.refresh()
                # the refreshed searcher reuses the unchanged segments' readers: keep them open
                new, retire = self._derive(name, st.index, searcher), None
            else:
                new, retire = st, None
            with self._lock:
                self._state = new
                new.users += 1
                close = False
                if retire is not None:
                    retire.retired = True
                    close = retire.users == 0
            if close:
                retire.searcher.close()
            return new

    def _leave(self, st: _State) -> None:
        with self._lock:
            st.users -= 1
            close = st.retired and st.users == 0
        if close:
            st.searcher.close()

    def close(self) -> None:
        with self._lock:
            st, self._state = self._state, None
            close = st is not None and st.users == 0
            if st is not None:
                st.retired = True
        if close:
            st.searcher.close()

    # -- query building -----------------------------------------------------------
    def _fold_map(self, st: _State) -> dict[str, list[str]]:
        """Index terms with ң ө ү, by what a Russian keyboard makes of them."""
        if st.fold_map is None:
            fmap: dict[str, set[str]] = defaultdict(set)
            reader = st.searcher.reader()
            with st.wlock:
                for fieldname in ("title", "body"):
                    for term in reader.field_terms(fieldname):
                        if has_kyrgyz_letters(term):
                            fmap[fold(term)].add(term)
            st.fold_map = {k: sorted(v) for k, v in fmap.items()}
        return st.fold_map

    def _expand_prefix(self, st, fieldname: str, prefix: str) -> list[tuple[int, str]]:
        """[(document frequency, term)] of the index terms of a field starting with ``prefix``,
        most frequent first (ties alphabetically); computed once per generation."""
        key = (fieldname, prefix)
        got = st.prefixes.get(key)
        if got is None:
            with st.wlock:
                got = [(ti.doc_frequency(), t) for t, ti in st.searcher.reader().iter_prefix(fieldname, prefix)]
            got.sort(key=lambda x: (-x[0], x[1]))
            with st.clock:
                st.prefixes[key] = got
                while len(st.prefixes) > FILTER_CACHE_SIZE * 4:
                    st.prefixes.pop(next(iter(st.prefixes)))
        return got

    def _prefix_query(self, st, atom: Atom, fields, boost, budget: "_Budget", highlight: set[str],
                      prefixes: list[str]):
        """A prefix as a constant-score Or of the index terms it expands to (per field, the
        field's boost as its score), within the query's budget: when it stands for more terms
        than it may, the most frequent are kept and a ``prefix_too_broad`` note says so."""
        text = normalize(atom.text)
        key = (tuple(fields), text)
        found = st.prefixes.get(key)
        if found is None:
            found = sorted(((df, f, t) for f in fields for df, t in self._expand_prefix(st, f, text)),
                           key=lambda x: (-x[0], x[1], x[2]))
            with st.clock:
                st.prefixes[key] = found
        allowed = budget.allowance()
        kept = []
        postings = 0
        for df, f, t in found:
            if len(kept) >= allowed or budget.postings + postings + df > QUERY_POSTINGS:
                break
            kept.append((f, t))
            postings += df
        budget.terms += len(kept)
        budget.postings += postings
        if len(kept) < len(found):
            budget.notes.append({
                "kind": "prefix_too_broad", "prefix": atom.text, "terms": len(found), "used": len(kept),
                "message": f"{atom.text}* stands for {len(found)} words; only the {len(kept)} most "
                           "frequent were searched — type more letters to search them all"})
            highlight.update(t for _, t in kept)
        else:
            prefixes.append(text)
        subs = []
        for f in fields:
            terms = [Q.Term(f, t) for g, t in kept if g == f]
            if terms:
                subs.append(ConstantScoreQuery(Q.Or(terms), score=boost[f]))
        if not subs:
            return None
        return Q.Or(subs) if len(subs) > 1 else subs[0]

    def _variants(self, st, word: str, term: str) -> list[str]:
        """Exact-letter index terms a word typed without ң ө ү may stand for."""
        if has_kyrgyz_letters(word):
            return []
        return [v for v in self._fold_map(st).get(term, ()) if v != term]

    def _atom_query(self, st, atom: Atom, highlight: set[str], prefixes: list[str],
                    exact: dict[str, bool] | None = None, budget: "_Budget | None" = None):
        fields = (atom.field,) if atom.field else ("title", "body")
        boost = {"title": TITLE_BOOST, "body": 1.0}
        if atom.kind == "prefix":
            return self._prefix_query(st, atom, fields, boost, budget or _Budget(1), highlight, prefixes)
        mode = "phrase" if atom.kind == "phrase" else "query"
        analyzed = analyze(atom.text, mode)
        tokens = [t.text for t in analyzed]
        if not tokens:
            return None
        alts = [[(t, 1.0)] + [(v, FOLD_WEIGHT) for v in self._variants(st, atom.text, t)]
                for t in tokens]
        # -- query expansion (search/expand.py): Latin readings and equivalents, lower weights --
        phrases = []
        if self.expand:
            per_token, phrases = self._expander(st).alternatives(atom.text, analyzed)
            for alt, extra in zip(alts, per_token):
                have = {t for t, _ in alt}
                alt += [(t, w) for t, w in extra if t not in have]
            for terms, _ in phrases:
                highlight.update(terms)
        # -- end of query expansion --
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
            subqueries += [Q.Phrase(f, list(terms), boost=boost[f] * w) if len(terms) > 1
                           else Q.Term(f, terms[0], boost=boost[f] * w) for terms, w in phrases]
        return Q.Or(subqueries)

    def _expander(self, st: _State) -> Expander:
        """The generation's query expander (search/expand.py), made on first use."""
        if st.expander is None:
            reader, segments, wlock = st.searcher.reader(), st.segments, st.wlock   # no reference back to st

            def doc_freq(term: str) -> int:
                with wlock:
                    return max(reader.doc_frequency("body", term), reader.doc_frequency("title", term))

            def terms():   # per segment: a multi-segment reader's iter_field is ~5x slower
                df: dict = {}
                with wlock:
                    for fieldname in ("title", "body"):
                        per_field: dict = defaultdict(int)
                        for seg in segments:
                            for text, info in seg.reader.iter_field(fieldname):
                                per_field[text] += info.doc_frequency()
                        for text, n in per_field.items():
                            df[text] = max(df.get(text, 0), n)
                return ((t.decode("utf-8") if isinstance(t, bytes) else t, n) for t, n in df.items())

            expander = Expander(doc_freq, terms)
            with st.clock:
                if st.expander is None:
                    st.expander = expander
        return st.expander

    def plan(self, st, parsed: ParsedQuery, notes: list | None = None) -> "_Plan":
        """The query tree as Whoosh queries: one per top-level unit (soft, required or
        excluded, see search/query.py), the query that scores (every wanted term: the sum of
        their BM25F, as Whoosh scores an And or an Or of them) and the highlighting matcher.
        What the cost bound cut goes to ``notes``."""
        budget = _Budget(sum(a.kind == "prefix" for a in parsed.positive_atoms() + parsed.negative_atoms()))
        ctx = _Compile(budget=budget)
        # stop words only matter when they are all the user typed
        ctx.drop_stopwords = any(a.kind != "word" or not is_stopword(normalize(a.text))
                                 for a in parsed.positive_atoms())
        units = []
        for unit in parsed.units():
            kind = "soft"
            if isinstance(unit, Node) and unit.op in ("required", "not"):
                kind = "required" if unit.op == "required" else "not"
                unit = unit.children[0]
            q = self._compile(st, unit, ctx, negated=kind == "not")
            if q is not None:
                units.append((kind, q))
        if notes is not None:
            notes.extend(budget.notes)
        # keyboard-fold variants are marked too, but a snippet prefers the exact terms
        variants = frozenset(t for t, is_exact in ctx.exact.items() if not is_exact)
        matcher = TermMatcher(frozenset(ctx.highlight), tuple(ctx.prefixes), variants=variants)
        scoring = ctx.scoring
        score_q = (Q.Or(scoring) if len(scoring) > 1 else scoring[0]) if scoring else None
        return _Plan(units, score_q, matcher)

    def _compile(self, st, node, ctx: "_Compile", negated: bool):
        """A query tree node as a Whoosh query (And / Or / AndNot / Not over the atoms'
        queries), None when nothing in it is searchable."""
        if isinstance(node, Atom):
            if node.kind == "word" and ctx.drop_stopwords and is_stopword(normalize(node.text)):
                return None
            if negated:
                return self._atom_query(st, node, set(), [], None, ctx.budget)
            q = self._atom_query(st, node, ctx.highlight, ctx.prefixes, ctx.exact, ctx.budget)
            if q is not None:
                ctx.scoring.append(q)
            return q
        if node.op == "not":
            inner = self._compile(st, node.children[0], ctx, not negated)
            return Q.Not(inner) if inner is not None else None
        if node.op == "required":
            return self._compile(st, node.children[0], ctx, negated)
        subs = [self._compile(st, c, ctx, negated) for c in node.children]
        subs = [q for q in subs if q is not None]
        if not subs:
            return None
        if node.op == "or":
            return subs[0] if len(subs) == 1 else Q.Or(subs)
        pos = [q for q in subs if type(q) is not Q.Not]
        neg = [q.query for q in subs if type(q) is Q.Not]
        if not pos:
            return Q.Not(neg[0] if len(neg) == 1 else Q.Or(neg))
        q = pos[0] if len(pos) == 1 else Q.And(pos)
        if neg:
            q = Q.AndNot(q, neg[0] if len(neg) == 1 else Q.Or(neg))
        return q

    def build(self, st, parsed: ParsedQuery, notes: list | None = None):
        """(all-units query, any-unit query, excluded query, matcher for highlighting) — the
        simple view of ``plan`` (for a query of words, phrases and ORs of them: the And and
        the Or of its clauses)."""
        plan = self.plan(st, parsed, notes)
        wanted = [q for kind, q in plan.units if kind != "not"]
        excluded = [q for kind, q in plan.units if kind == "not"]
        excluded_q = (Q.Or(excluded) if len(excluded) > 1 else excluded[0]) if excluded else None
        if not wanted:
            return None, None, excluded_q, plan.matcher
        all_q = Q.And(wanted) if len(wanted) > 1 else None
        any_q = Q.Or(wanted) if len(wanted) > 1 else wanted[0]
        return all_q, any_q, excluded_q, plan.matcher

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
        with st.clock:
            cached = st.filters.get(filters)
            if cached is not None:
                st.filters.move_to_end(filters)
                return cached
        mask = st.live.copy()
        if filters.date_from or filters.date_to:
            lo = _date_int(filters.date_from) if filters.date_from else 1
            hi = _date_int(filters.date_to) if filters.date_to else 99991231
            mask &= self._date_range_docs(st, max(lo, 1), hi)
        for name, values in filters.chosen:           # each value facet of the registry
            mask &= kind_of(registry.facet(name)).matching(self, st, values)
        with st.clock:
            st.filters[filters] = mask
            while len(st.filters) > FILTER_CACHE_SIZE:
                st.filters.popitem(last=False)
        return mask

    def _date_range_docs(self, st: _State, lo: int, hi: int) -> np.ndarray:
        """Documents dated lo ≤ yyyymmdd ≤ hi (lo ≥ 1: undated ones never match), by binary
        search in the docnums sorted by date (the same set as ``NumericRange("date", lo, hi)``)."""
        by_date = st.by_date
        if by_date is None:
            dated = np.flatnonzero((st.dates > 0) & st.live)
            by_date = (dated[np.argsort(st.dates[dated], kind="stable")])
            by_date = st.by_date = (by_date, st.dates[by_date])
        order, keys = by_date
        i = int(np.searchsorted(keys, lo, side="left"))
        j = int(np.searchsorted(keys, hi, side="right"))
        return self._mask(st, order[i:j])

    # -- terms: postings as arrays -----------------------------------------------------
    def _term(self, st: _State, fieldname: str, text: str) -> _Term:
        """Every document (deleted ones too) with ``text`` in ``fieldname``: docnums, weights,
        and the BM25F contribution idf·(K1+1)·tf / (tf + K1·(1-B+B·len/avglen)) Whoosh's
        scorer gives each document for the term (before the query's boost).  Sliced from the
        compact postings where a segment has the term there, else decoded from Whoosh;
        cached per generation (``TERM_CACHE_POSTINGS``)."""
        key = (fieldname, text)
        with st.clock:
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
            else:
                with st.wlock:
                    if (fieldname, text) not in seg.reader:
                        continue
                    ids, tf, _ = read_term(seg.reader, fieldname, text, positions=False)
            ids_parts.append(ids + np.int32(seg.offset) if seg.offset else np.array(ids, np.int32))
            tf_parts.append(tf)
        ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int32)
        tf = np.concatenate(tf_parts).astype(np.float64) if tf_parts else np.zeros(0)
        contrib = None
        searcher = st.searcher
        if len(ids) and fieldname in searcher.schema and searcher.schema[fieldname].scorable:
            with st.wlock:
                scorer = searcher.weighting.scorer(searcher, fieldname, text)
            norm = self._length_norm(st, fieldname, scorer.B, scorer.K1, scorer.avgfl)
            # Whoosh's bm25(): idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))),
            # the same double-precision operations in the same order (norm = K1 * (…))
            contrib = scorer.idf * ((tf * (scorer.K1 + 1)) / (tf + norm[ids]))
        entry = _Term(ids, contrib)
        with st.clock:
            if key in st.terms:               # another thread read it meanwhile
                return st.terms[key]
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
            else:
                with st.wlock:
                    if (fieldname, text) not in seg.reader:
                        continue
                    ids, tf, pos = read_term(seg.reader, fieldname, text, positions=True)
                counts = tf.astype(np.int64)
            docs = np.repeat(ids.astype(np.int64) + seg.offset, counts)
            parts.append((docs << 32) | pos.astype(np.int64))
        keys = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        with st.clock:
            if entry.keys is not None:        # another thread got there first
                return entry.keys
            if st.terms.get((fieldname, text)) is entry:
                entry.keys = keys
                st.terms_size += len(keys)
                self._evict_terms(st)
            # else not cached (evicted already): keep the count of what is cached exact
        return keys

    def _length_norm(self, st, fieldname, B, K1, avgfl) -> np.ndarray:
        key = (fieldname, B, K1, avgfl)
        norm = st.length_norms.get(key)
        if norm is None:
            parts = []
            with st.wlock:
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
        if kind is Q.Not:                     # deleted documents too: callers intersect with live
            return ~self._docs(st, q.query)
        if kind is Q.AndNot:
            return self._docs(st, q.a) & ~self._docs(st, q.b)
        with st.clock:
            cached = st.docsets.get(q)
            if cached is not None:
                st.docsets.move_to_end(q)
                return self._mask(st, cached)
        slots = phrase_slots(q)
        if kind is ConstantScoreQuery:
            mask = self._docs(st, q.child)
        elif slots is not None and slots[0] in positional_fields(st.searcher.schema):
            fieldname, words = slots
            candidates = None
            for slot in words:
                m = self._docs(st, Q.Or([Q.Term(fieldname, t) for t in slot]))
                candidates = m if candidates is None else (candidates & m)
            mask = self._phrase_docs(st, fieldname, words, candidates) if candidates.any() else candidates
        else:
            with st.wlock:
                mask = self._mask(st, st.searcher.docs_for_query(q))
        docnums = np.flatnonzero(mask).astype(np.int32)
        with st.clock:
            if q not in st.docsets:
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
        with self._using() as st:
            key = ("search", q, page, per_page, filters, sort, self.expand)
            if self._cut(st, parsed):         # broad prefixes: through the heavy lane, cached or not
                with self._heavy_lane():
                    cached = self._page(st, key, parsed, page, per_page, filters, sort)
            else:
                cached = self._page(st, key, parsed, page, per_page, filters, sort)
        result = dict(cached)
        result["query"] = q
        result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _page(self, st, key, parsed, page, per_page, filters, sort) -> dict:
        """One results page, from the page cache (``CACHE_SIZE``) or computed now."""
        with st.clock:
            cached = st.cache.get(key)
            if cached is not None:
                st.cache.move_to_end(key)
                return cached
        cached = self._search(st, parsed, page, per_page, filters, sort)
        with st.clock:
            st.cache[key] = cached
            while len(st.cache) > CACHE_SIZE:
                st.cache.popitem(last=False)
        return cached

    @contextmanager
    def _heavy_lane(self):
        """One request at a time for queries cut by the cost bound: each waits out the pause the
        last one left (its time × (1/HEAVY_SHARE − 1), at least 1/HEAVY_RATE s in all, at most
        1 s); with HEAVY_WAITING requests already waiting, ``Busy`` at once."""
        if not self._heavy.acquire(blocking=False):       # busy: wait, if few wait already
            with self._heavy_count:
                if self._heavy_waiting >= HEAVY_WAITING:
                    raise Busy(retry_after=1)
                self._heavy_waiting += 1
            try:
                self._heavy.acquire()
            finally:
                with self._heavy_count:
                    self._heavy_waiting -= 1
        try:
            time.sleep(max(0.0, self._heavy_free_at - time.perf_counter()))
            t0 = time.perf_counter()
            try:
                yield
            finally:
                took = time.perf_counter() - t0
                pause = max(took * (1 / HEAVY_SHARE - 1), 1 / HEAVY_RATE - took)
                self._heavy_free_at = t0 + took + min(1.0, pause)
        finally:
            self._heavy.release()

    def _evaluate(self, st, parsed, filters) -> "_Evaluated":
        """The query's document sets, facets and timeline — what every page of it shares —
        cached per (query, filters) (``QUERY_CACHE``), so that paging costs only the page."""
        key = (to_text(parsed.tree), parsed.blank, tuple(n["message"] for n in parsed.notes), filters,
               self.expand)
        with st.clock:
            got = st.queries.get(key)
            if got is not None:
                st.queries.move_to_end(key)
                return got
        got = self._evaluate_now(st, parsed, filters)
        with st.clock:
            st.queries[key] = got
            while len(st.queries) > QUERY_CACHE:
                st.queries.popitem(last=False)
        return got

    def _cut(self, st, parsed) -> bool:
        """Whether the cost bound cuts a prefix of the query (cheap: expansions are cached)."""
        if not any(a.kind == "prefix" for a in parsed.positive_atoms() + parsed.negative_atoms()):
            return False
        key = ("cut", to_text(parsed.tree))
        got = st.prefixes.get(key)
        if got is None:
            notes: list[dict] = []
            self.plan(st, parsed, notes)
            got = any(n["kind"] == "prefix_too_broad" for n in notes)
            with st.clock:
                st.prefixes[key] = got
        return got

    def _evaluate_now(self, st, parsed, filters) -> "_Evaluated":
        notes: list[dict] = list(parsed.notes)
        plan = self.plan(st, parsed, notes)
        allowed = self._filter_docs(st, filters)
        partial = None
        if not plan.units:
            # an empty query browses everything; nothing searchable typed finds nothing
            full = st.live.copy() if parsed.blank else self._mask(st)
        else:
            full = st.live.copy()
            soft, keep = [], st.live.copy()  # keep: what a partial match must satisfy too
            for kind, q in plan.units:
                m = self._docs(st, q)
                if kind == "not":
                    m = ~m
                full &= m
                if kind == "soft":
                    soft.append(m)
                else:
                    keep &= m
            if len(soft) > 1:
                some = soft[0].copy()
                for m in soft[1:]:
                    some |= m
                partial = some & keep & ~full
        unfiltered = full                     # the query's documents, for the facets
        if allowed is not None:
            full = full & allowed
            if partial is not None:
                partial &= allowed
        docs = np.flatnonzero(full)
        partial_total = int(np.count_nonzero(partial)) if partial is not None else 0
        if not len(docs) and partial_total:
            notes.append({"kind": "no_document_has_all_words",
                          "message": f"no document has all the words; {partial_total} have some of them"})
        return _Evaluated(plan, full, partial, docs, partial_total, notes,
                          self._facets(st, unfiltered, filters), self._timeline(st, docs))

    def _search(self, st, parsed, page, per_page, filters, sort, corrected=False) -> dict:
        """``total``: the documents matching every unit of the query (each word in any of its
        forms); facets and timeline count those.  Documents matching only some of the soft
        units (and every required one, and no excluded one) follow them in the list,
        ``"partial": true``, counted in ``partial_total``."""
        searcher = st.searcher
        ev = self._evaluate(st, parsed, filters)
        plan, full, partial, docs = ev.plan, ev.full, ev.partial, ev.docs
        total, partial_total = len(docs), ev.partial_total
        offset = (page - 1) * per_page
        want = offset + per_page
        tiers = [full] if not partial_total else [full, partial]
        if plan.score_q is None or sort != "relevance":
            docnums, scores = [], {}
            skip = offset
            for tier in tiers:
                tier_docs = np.flatnonzero(tier) if tier is not full else docs
                if len(tier_docs) <= skip:
                    skip -= len(tier_docs)
                    continue
                docnums += self._sorted_by_date(st, tier_docs, skip + want - offset - len(docnums), sort)[skip:]
                skip = 0
                if len(docnums) >= want - offset:
                    break
            docnums = docnums[: want - offset]
        else:
            docnums, scores = self._ranked(st, plan.score_q, tiers, offset, want, ev.memo)
        with st.wlock:
            stored = [searcher.stored_fields(d) for d in docnums]
        hits = [self._hit(fields, scores.get(d), plan.matcher) for d, fields in zip(docnums, stored)]
        for d, hit in zip(docnums, hits):
            hit["partial"] = bool(partial is not None and partial[d])
        shown = total + partial_total
        # -- query expansion (search/expand.py): what was added, and a correction --
        expansions, did_you_mean = [], None
        if self.expand and not parsed.empty:
            xp = self._expander(st)
            expansions = xp.expansions((a.kind, a.text) for a in parsed.atoms())
            did_you_mean = xp.suggest(parsed_text(parsed))
            if total == 0 and partial_total == 0 and did_you_mean and not corrected:   # found nothing at all
                fixed = self._search(st, parse(did_you_mean), page, per_page, filters, sort, corrected=True)
                if fixed["total"]:
                    return {**fixed, "corrected_from": parsed_text(parsed), "did_you_mean": did_you_mean}
        # -- end of query expansion --
        facets = dict(ev.facets)
        undated_excluded = facets.pop("_undated_excluded", 0)
        return {
            "query": to_text(parsed.tree),
            "total": total,
            "partial_total": partial_total,
            "all_words_found": bool(total) or not partial_total,
            "page": page,
            "per_page": per_page,
            "pages": (shown + per_page - 1) // per_page,
            "sort": sort,
            "hits": hits,
            "facets": facets,
            "undated_excluded": undated_excluded,
            "timeline": ev.timeline,
            "generation": st.generation,
            "notes": list(ev.notes),
            "expansions": expansions,
            "did_you_mean": did_you_mean,
            "corrected_from": None,
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

    def _ranked(self, st, score_q, tiers, offset, want, memo: dict | None = None):
        """The documents of each tier (masks: all units first, then partial matches) by
        score, tier after tier."""
        docnums: list[int] = []
        scores: dict[int, float] = {}
        skip = offset
        memo = {} if memo is None else memo   # tiers and pages score the same terms: sum them once
        for docs in tiers:
            size = int(np.count_nonzero(docs))
            if size <= skip:
                skip -= size
                continue
            for docnum, score in self._top(st, score_q, docs, skip + (want - offset) - len(docnums), memo)[skip:]:
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
            with st.wlock:
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
        # constant-score prefixes (``fieldname`` None) tie for real: their order is by docnum
        if near.any() and all(f is not None for _, f, _, _ in terms):
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
            if fieldname is None:             # a constant-score prefix: its score where it matches
                scores[gates[id(gate)]] += boost
                continue
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
        with st.wlock:
            return SearchEngine._exact_scores_locked(searcher, context, q, cands, gates, out)

    @staticmethod
    def _exact_scores_locked(searcher, context, q, cands, gates, out):
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
        passage = snippet_fragment(stored.get("body") or "", matcher)
        return {
            "id": stored["id"],
            "title": stored.get("title") or "",
            "title_html": highlight_all(stored.get("title") or "", matcher),
            "date": date.isoformat() if date else None,
            "url": stored.get("url"),
            "source": stored.get("source"),
            "score": round(score, 4) if score is not None else None,
            "snippet": HTML.format(passage),
            "snippet_text": passage.text,
            "snippet_marks": [list(m) for m in passage.marks],
            "districts": _split(stored.get("district")),
            "oblasts": _split(stored.get("oblast")),
            "topics": _split(stored.get("topics")),
        }

    def _places(self, st, fieldname: str):
        """(values, value index per posting, docnum per posting) of a facet field: its own
        terms in the index (search/facets.py)."""
        return kind_of(registry.facet(fieldname)).terms(self, st)

    def _place_counts(self, st, fieldname: str, mask: np.ndarray) -> dict[str, int]:
        """{value: documents of ``mask`` (a boolean mask) having it}, most first."""
        return kind_of(registry.facet(fieldname)).counts(self, st, mask)

    def _facets(self, st, matched: np.ndarray, filters: Filters) -> dict:
        """The counts of every registry facet (search/facets.py), disjunctive: each facet counts
        the query's documents (``matched``, live, before any filter) under the filters of every
        *other* facet, so a value's count is what selecting that value alone in its facet gives
        (values of one facet are ORed; a year replaces the period)."""
        own = {f.name: self._filter_docs(st, filters.only(f.name)) for f in registry.FACETS}
        out = {"_undated_excluded": 0}   # undated documents a period filter leaves out
        for facet in registry.FACETS:
            m = matched
            for name, mask in own.items():
                if name != facet.name and mask is not None:
                    m = m & mask
            kind = kind_of(facet)
            out[facet.name] = kind.counts(self, st, m)
            if facet.kind == registry.YEAR and (filters.date_from is not None or filters.date_to is not None):
                out["_undated_excluded"] = kind.undated(st, m)
        return out

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
        with self._using() as st:
            with st.wlock:
                stored = st.searcher.document(id=doc_id)
            if stored is None:
                return None
            matcher = self.plan(st, parse(q)).matcher
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
        with self._using() as st:
            # documents deleted by `kgsearch delete`/`add` (copy-on-write) are not counted
            live_dates = st.dates[st.live]
            dated = live_dates[live_dates > 0]
            oblasts = self._place_counts(st, "oblast", st.live)
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
            "reindex_reason": (why := needs_reindex(manifest)),   # analyzer or data tables differ
            "reindex_needed": why is not None,
        }

    # -- every match, for export and feeds (issue 15) -----------------------------------
    def matches(self, q: str = "", filters: Filters = Filters(), sort: str | None = None,
                body: bool = False, chunk: int = 256):
        """(total, iterator of hit dicts) over EVERY document of the set ``search()``'s
        ``total`` counts — the documents with every unit of the query, within the filters
        (the partial matches are not exported) — in ``sort`` order (relevance: by score, as the
        pages; newest / oldest: ``_sorted_by_date``).

        The set, the order and the scores are computed now (docnum arrays); the stored fields
        are read lazily, ``chunk`` documents at a time, so memory stays constant however many
        documents match.  Hit keys: id, title, date, date_source, url, source, districts,
        oblasts, topics, score (None unless sorted by relevance), and body if asked."""
        parsed = parse(q)
        if sort is None:
            sort = "relevance" if not parsed.empty else "newest"
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        st = self._enter()               # kept open until the rows are read (``_leave``)
        try:
            ev = self._evaluate(st, parsed, filters)
            docs = ev.docs
            total = len(docs)
            if ev.plan.score_q is None or sort != "relevance":
                order = np.asarray(self._sorted_by_date(st, docs, total, sort), np.int64)
                scores = None
            elif total:
                top = self._top(st, ev.plan.score_q, ev.full, total, ev.memo)
                order = np.fromiter((d for d, _ in top), np.int64, len(top))
                scores = np.fromiter((x for _, x in top), np.float64, len(top))
            else:
                order, scores = np.zeros(0, np.int64), np.zeros(0)
            # Stored-field readers of its own over the same segments (Whoosh's per-document
            # readers, light: no term index), so reading them needs no lock; else the shared
            # searcher under its Whoosh lock.
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
        except BaseException:
            self._leave(st)
            raise

        def read(docnums):
            if own is not None:
                return [self._stored(own, schema, int(d)) for d in docnums]
            with st.wlock:
                return [st.searcher.stored_fields(int(d)) for d in docnums]

        def rows():
            try:
                for start in range(0, len(order), chunk):
                    for i, fields in enumerate(read(order[start:start + chunk])):
                        yield self._export_row(fields, scores[start + i] if scores is not None else None, body)
            finally:
                for _, perdoc in own or ():
                    perdoc.close()
                self._leave(st)

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
    """The query as the parser read it, in the query syntax."""
    return to_text(parsed.tree)
