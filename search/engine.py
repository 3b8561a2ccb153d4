"""The searcher: parsed query → Whoosh query → ranked, filtered, faceted, highlighted results.

One ``SearchEngine`` per process holds one Whoosh searcher and refreshes it when
the served generation changes (``CURRENT``) or the generation itself gets new
documents.  Everything it returns is plain data (dicts, lists, strings) so that
``web/`` never touches Whoosh.
"""
from __future__ import annotations

import bisect
import datetime as dt
import heapq
import threading
import time
from array import array
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import add, mul, truediv

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.formats import Positions
from whoosh.scoring import BM25F

from indexer import places
from indexer.analysis import ANALYZER_VERSION, analyze, fold, has_kyrgyz_letters, is_stopword, normalize
from indexer.schema import int_to_date
from indexer.store import IndexStore
from search.filters import Filters
from search.highlight import TermMatcher, find_spans, highlight_all, snippet
from search.postings import (decode_positions, gate_phrases, phrase_slots, postings_blocks,
                             scored_terms, slots_query)
from search.query import Atom, ParsedQuery, parse

TITLE_BOOST = 2.5
FOLD_WEIGHT = 0.6          # a keyboard-folded match ranks below the exact-letter one
MAX_PER_PAGE = 100
SORTS = ("relevance", "newest", "oldest")
CACHE_SIZE = 512
TERM_CACHE_POSTINGS = 1_000_000   # postings kept in the per-generation cache of term/phrase doc sets
PACKED_POSTINGS = 3_000_000       # postings of terms kept decoded in packed arrays (~35 B each), no doc set


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
    deleted: frozenset = frozenset()
    fold_map: dict[str, list[str]] | None = None
    cache: OrderedDict = field(default_factory=OrderedDict)
    # (field, term) or a phrase query → frozenset of docnums, bounded by TERM_CACHE_POSTINGS
    docsets: OrderedDict = field(default_factory=OrderedDict)
    docsets_size: int = 0
    # (field, term) → (docnums, contributions, packed positions) once decoded: a term whose doc set
    # fell out of ``docsets`` gets it back from these without decoding its postings again
    packed: OrderedDict = field(default_factory=OrderedDict)
    packed_size: int = 0
    years: list[int] | None = None            # date // 10000 per docnum
    by_date: list[int] | None = None          # docnums by (date, docnum), dated ones only
    by_date_keys: list[int] | None = None     # their dates, for bisect
    rank_newest: list[int] | None = None      # docnum → rank by (date, -docnum)
    rank_oldest: list[int] | None = None      # docnum → rank by (undated, date, docnum)
    length_norms: dict = field(default_factory=dict)   # (field, B, K1) → K1·((1-B) + B·len/avg) per docnum


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
        deleted: set[int] = set()
        if reader.has_deletions():
            for leaf, offset in reader.leaf_readers():
                if leaf.has_deletions():
                    deleted.update(offset + d for d in leaf.deleted_docs_set)
        return _State(
            generation=name, index=ix, searcher=searcher,
            dates=list(reader.column_reader("date")),
            district_bits=list(reader.column_reader("district_bits")),
            oblast_bits=list(reader.column_reader("oblast_bits")),
            deleted=frozenset(deleted),
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
            parts.append(self._date_range_docs(st, max(lo, 1), hi))
        if filters.districts:
            parts.append(self._docs(st, Q.Or([Q.Term("district", d) for d in filters.districts])))
        if filters.oblasts:
            parts.append(self._docs(st, Q.Or([Q.Term("oblast", o) for o in filters.oblasts])))
        parts.sort(key=len)
        docs = set(parts[0]).intersection(*parts[1:])
        self._remember(st, key, docs)
        return docs

    # -- doc sets: what a query matches, from postings and columns -------------------
    def _date_range_docs(self, st: _State, lo: int, hi: int) -> set[int]:
        """Documents dated lo ≤ yyyymmdd ≤ hi (lo ≥ 1: undated ones never match), by bisection
        of the docnums sorted by date (the same set as ``NumericRange("date", lo, hi)``)."""
        if st.by_date is None:
            dates = st.dates
            order = sorted((d for d in range(len(dates)) if dates[d] and d not in st.deleted),
                           key=dates.__getitem__)
            st.by_date_keys = [dates[d] for d in order]
            st.by_date = order
        i = bisect.bisect_left(st.by_date_keys, lo)
        j = bisect.bisect_right(st.by_date_keys, hi)
        return set(st.by_date[i:j])

    def _term_docs(self, st: _State, fieldname: str, text: str) -> frozenset:
        """Every live document with ``text`` in ``fieldname``."""
        return self._term_entry(st, fieldname, text)[0]

    def _term_entry(self, st: _State, fieldname: str, text: str):
        """(doc set, global docnums, BM25F contribution per docnum or None) of one term, read
        from its postings a block at a time (no per-document matcher calls) and cached per
        generation.  The contribution is idf·(K1+1)·tf / (tf + K1·(1-B+B·len/avglen)), what
        Whoosh's BM25F scorer gives that document for the term (before the query's boost).
        The positions come packed: (the raw postings values joined, their offsets).  Besides the
        doc-set cache (``TERM_CACHE_POSTINGS``) the decoded arrays stay in ``st.packed``
        (``PACKED_POSTINGS``, ~35 B a posting): a frequent term evicted from the first costs a
        ``frozenset`` of its docnums, not a second decoding of its postings."""
        key = (fieldname, text)
        entry = st.docsets.get(key)
        if entry is not None:
            st.docsets.move_to_end(key)
            return entry
        packed = st.packed.get(key)
        if packed is not None:
            st.packed.move_to_end(key)
            ids, contrib, values = packed
            docs = frozenset(ids)
            if st.deleted:
                docs -= st.deleted
            entry = (docs, ids, contrib, values)
            self._remember_docs(st, key, entry, len(ids))
            return entry
        searcher = st.searcher
        scorable = fieldname in searcher.schema and searcher.schema[fieldname].scorable
        positional = scorable and type(searcher.schema[fieldname].format) is Positions
        ids = array("l")
        values: list | None = [] if positional else None
        contrib = array("d") if scorable else None
        if scorable and (fieldname, text) in searcher.reader():
            scorer = searcher.weighting.scorer(searcher, fieldname, text)
            norm = self._length_norm(st, fieldname, scorer.B, scorer.K1, scorer.avgfl)
            c = scorer.idf * (scorer.K1 + 1)
        for reader, offset in searcher.reader().leaf_readers():
            if (fieldname, text) not in reader:
                continue
            for block_ids, weights, vals in postings_blocks(reader.postings(fieldname, text), scorable,
                                                             positional):
                if positional:
                    values.extend(vals)
                if offset:
                    block_ids = [offset + d for d in block_ids]
                ids.extend(block_ids)
                if scorable:
                    # c·tf / (tf + norm[d]), computed in C
                    contrib.extend(map(truediv, map(mul, repeat(c), weights),
                                       map(add, weights, map(norm.__getitem__, block_ids))))
        if positional:
            # one bytes object + offsets instead of a bytes object per posting
            values = (b"".join(values), array("I", accumulate(map(len, values), initial=0)))
        docs = frozenset(ids)
        if st.deleted:
            docs -= st.deleted
        entry = (docs, ids, contrib, values)
        self._remember_docs(st, key, entry, len(ids))
        st.packed[key] = (ids, contrib, values)
        st.packed_size += len(ids) + 1
        while st.packed_size > PACKED_POSTINGS and len(st.packed) > 1:
            _, old = st.packed.popitem(last=False)
            st.packed_size -= len(old[0]) + 1
        return entry

    @staticmethod
    def _remember_docs(st: _State, key, value, size: int) -> None:
        st.docsets[key] = value
        st.docsets_size += size + 1
        while st.docsets_size > TERM_CACHE_POSTINGS and len(st.docsets) > 1:
            _, old = st.docsets.popitem(last=False)
            st.docsets_size -= (len(old[1]) if isinstance(old, tuple) else len(old)) + 1

    def _docs(self, st: _State, q) -> frozenset | set:
        """The documents ``q`` matches: set algebra over cached term doc sets for the
        queries ``build`` makes (Term, Or, And); phrases are checked by Whoosh among the
        documents having all their words; anything else goes to ``docs_for_query``."""
        kind = type(q)
        if kind is Q.Term:
            return self._term_docs(st, q.fieldname, q.text)
        if kind is Q.Or:
            sets = [self._docs(st, sub) for sub in q.subqueries]
            if not sets:
                return frozenset()
            sets.sort(key=len, reverse=True)
            return sets[0].union(*sets[1:]) if len(sets) > 1 else sets[0]
        if kind is Q.And:
            sets = sorted((self._docs(st, sub) for sub in q.subqueries), key=len)
            if not sets:
                return frozenset()
            return sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]
        cached = st.docsets.get(q)
        if cached is not None:
            st.docsets.move_to_end(q)
            return cached
        if kind is Q.Phrase:
            needed = [Q.Term(q.fieldname, w) for w in q.words]
        elif kind is Q.Sequence:
            needed = list(q.subqueries)
        else:
            needed = []
        if needed:
            sets = sorted((self._docs(st, sub) for sub in needed), key=len)
            candidates = sets[0].intersection(*sets[1:])
            slots = phrase_slots(q)
            if not candidates:
                docs = frozenset()
            elif slots is not None:
                docs = self._phrase_docs(st, slots[0], slots[1], frozenset(candidates))
            else:
                docs = frozenset(st.searcher.docs_for_query(q))
        else:
            docs = frozenset(st.searcher.docs_for_query(q))
        self._remember_docs(st, q, docs, len(docs))
        return docs

    def _phrase_docs(self, st: _State, fieldname: str, slots: list[list[str]], candidates) -> frozenset:
        """The candidates (documents having a word of every slot) where the slots' words stand
        at consecutive positions, what Whoosh's ``Phrase`` / ``Sequence`` (slop 1) match.  Only
        the candidates' positions are decoded, from the packed postings values cached with each
        term's doc set, a slot at a time (each slot reads just the documents still in the running)."""
        starts: dict[int, set] | None = None
        cands = sorted(candidates)
        bisect_left = bisect.bisect_left
        for i, slot in enumerate(slots):
            pos: dict[int, list] = {}
            for t in slot:
                _, ids, _, values = self._term_entry(st, fieldname, t)
                if values is None:
                    return frozenset(st.searcher.docs_for_query(slots_query(fieldname, slots))) & candidates
                n = len(ids)
                blob, offs = values
                for d in cands:
                    j = bisect_left(ids, d)
                    if j < n and ids[j] == d:
                        ps = decode_positions(blob[offs[j]:offs[j + 1]])
                        if d in pos:
                            pos[d] = pos[d] + ps
                        else:
                            pos[d] = ps
            if starts is None:
                starts = {d: set(ps) for d, ps in pos.items()}
            else:
                nxt = {}
                for d, s in starts.items():
                    ps = pos.get(d)
                    if ps:
                        s = s.intersection([p - i for p in ps])
                        if s:
                            nxt[d] = s
                starts = nxt
            if not starts:
                return frozenset()
            cands = sorted(starts)
        return frozenset(starts)

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
        full = None
        if any_q is None:
            if not parsed.empty:   # nothing searchable was typed (only punctuation, say)
                matched = set()
            elif allowed is not None:
                matched = set(allowed)
            else:
                matched = set(searcher.reader().all_doc_ids())
        else:
            # one doc set per wanted clause: their union matches, their intersection has all words
            clause_sets = [self._docs(st, c) for c in (all_q.subqueries if all_q is not None else [any_q])]
            clause_sets.sort(key=len)
            if allowed is not None:
                clause_sets = [c & allowed if len(c) < len(allowed) else allowed & c for c in clause_sets]
            matched = set(clause_sets[-1]).union(*clause_sets[:-1])
            if all_q is not None:
                full = set(clause_sets[0]).intersection(*clause_sets[1:])
        if allowed is not None:
            matched &= allowed
        if excluded_q is not None and matched:
            excluded = self._docs(st, excluded_q)
            matched -= excluded
            if full is not None:
                full -= excluded
        total = len(matched)
        offset = (page - 1) * per_page
        want = offset + per_page
        if any_q is None or sort != "relevance":
            docnums = self._sorted_by_date(st, matched, want, sort)[offset:want]
            scores = {}
        else:
            docnums, scores = self._ranked(st, all_q, any_q, matched, full, offset, want)
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
        """Newest first by (date, -docnum), or oldest first by (undated, date, docnum), through
        a rank per docnum computed once per generation."""
        dates = st.dates
        if sort == "oldest":
            if st.rank_oldest is None:
                st.rank_oldest = _ranks(sorted(range(len(dates)), key=lambda d: (dates[d] == 0, dates[d], d)))
            return heapq.nsmallest(want, docs, key=st.rank_oldest.__getitem__)
        if st.rank_newest is None:
            st.rank_newest = _ranks(sorted(range(len(dates)), key=lambda d: (dates[d], -d)))
        return heapq.nlargest(want, docs, key=st.rank_newest.__getitem__)

    def _ranked(self, st, all_q, any_q, matched, full, offset, want):
        """Documents with every wanted word first, then the best partial matches."""
        docnums: list[int] = []
        scores: dict[int, float] = {}
        if all_q is None:
            full = matched
        tiers = [(all_q if all_q is not None else any_q, full)]
        if all_q is not None:
            tiers.append((any_q, matched - full))
        skip = offset
        for q, docs in tiers:
            if len(docs) <= skip:
                skip -= len(docs)
                continue
            for docnum, score in self._top(st, q, docs, skip + (want - offset) - len(docnums))[skip:]:
                docnums.append(docnum)
                scores[docnum] = score
            skip = 0
            if len(docnums) >= want - offset:
                break
        return docnums[: want - offset], scores

    def _top(self, st, q, docs, limit) -> list[tuple[int, float]]:
        """The ``limit`` best (docnum, score) of ``q`` among ``docs``, best first, ties by docnum —
        what ``searcher.search(q, limit=limit, filter=docs)`` returns.

        For the word queries ``build`` makes (Term / Or / And trees over title and body), BM25F
        is first summed per document straight from the postings blocks (no matcher per
        document), which picks the few candidates that can be in the top ``limit``; Whoosh's
        own matcher then scores exactly those (``skip_to``), so scores and order are Whoosh's.
        Phrases and anything else go through ``searcher.search``.
        """
        terms = scored_terms(q, st.searcher.schema)
        if terms is None:
            results = st.searcher.search(q, limit=limit, filter=docs)
            return [(hit.docnum, hit.score) for hit in results]
        gates = {}
        for gate, _, _, _ in terms:
            if gate is not None and id(gate) not in gates:
                gates[id(gate)] = self._docs(st, gate)
        approx = self._approx_scores(st, terms, gates, docs)
        score = approx.get                           # every doc of the tier has a score
        best = heapq.nlargest(limit, docs, key=score)
        if not best:
            return []
        floor = score(best[-1])
        floor -= 1e-6 * max(1.0, abs(floor))        # float rounding: keep anything that ties
        candidates = [d for d in docs if score(d, 0.0) >= floor] if len(docs) > limit else list(docs)
        exact = self._exact_scores(st, q, candidates, gates)
        ranked = sorted(exact.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]

    def _length_norm(self, st, fieldname, B, K1, avgfl) -> list[float]:
        key = (fieldname, B, K1, avgfl)
        norm = st.length_norms.get(key)
        if norm is None:
            norm = []
            for reader, _ in st.searcher.reader().leaf_readers():
                dfl = reader.doc_field_length
                norm.extend(K1 * ((1 - B) + B * (dfl(d, fieldname, 1) or 0) / avgfl)
                            for d in range(reader.doc_count_all()))
            st.length_norms[key] = norm
        return norm

    def _approx_scores(self, st, terms, gates=None, docs=None) -> dict[int, float]:
        """Σ boost · BM25F(term) per document over ``terms`` = [(gate, field, text, boost)], the
        sum Whoosh's matchers compute (up to float rounding).  A term of a phrase (gate = the
        phrase query) counts only in the documents the phrase matches (``gates[id(gate)]``),
        among ``docs``: Whoosh scores a phrase match as the sum of its words' scores."""
        entries = []
        gated = []
        for gate, fieldname, text, boost in terms:
            _, ids, contrib, _ = self._term_entry(st, fieldname, text)
            if not ids:
                continue
            if gate is not None:
                gated.append((gate, ids, contrib, boost))
            else:
                entries.append((ids, contrib if boost == 1.0 else array("d", map(mul, contrib, repeat(boost)))))
        scores: dict[int, float] = {}
        if entries:
            entries.sort(key=lambda e: len(e[0]), reverse=True)
            scores = dict(zip(*entries[0]))
            get = scores.get
            for ids, contrib in entries[1:]:
                for d, v in zip(ids, contrib):
                    scores[d] = get(d, 0.0) + v
        get = scores.get
        bisect_left = bisect.bisect_left
        for gate, ids, contrib, boost in gated:
            matched = gates[id(gate)]
            if docs is not None:
                matched = matched & docs if len(matched) < len(docs) else docs & matched
            n = len(ids)
            for d in matched:
                i = bisect_left(ids, d)
                if i < n and ids[i] == d:
                    scores[d] = get(d, 0.0) + contrib[i] * boost
        return scores

    @staticmethod
    def _exact_scores(st, q, candidates, gates=None) -> dict[int, float]:
        """Whoosh's score of ``q`` for each candidate docnum (the matcher skips to each).
        Phrases (``gates``: id(query) → the documents it matches) are scored by their words'
        intersection matcher stopping only at those documents — Whoosh's phrase score, without
        its position checks."""
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

    def _facets(self, st, docs) -> dict:
        # Counter(map(column.__getitem__, docs)) counts in C; 0 = no date / no place
        if st.years is None:
            st.years = [d // 10000 for d in st.dates]
        years = Counter(map(st.years.__getitem__, docs))
        dmasks = Counter(map(st.district_bits.__getitem__, docs))
        omasks = Counter(map(st.oblast_bits.__getitem__, docs))
        for c in (years, dmasks, omasks):
            c.pop(0, None)
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
            # documents deleted by `kgsearch delete`/`add` (copy-on-write) are not counted
            live = [n for n in range(len(st.dates)) if n not in st.deleted]
            dated = [st.dates[n] for n in live if st.dates[n]]
            omasks = Counter(st.oblast_bits[n] for n in live if st.oblast_bits[n])
            docs = st.searcher.doc_count()
        manifest = self.store.manifest(st.generation)
        built_version = manifest.get("analyzer_version")
        return {
            "documents": docs,
            "date_range": [int_to_date(min(dated)).isoformat(), int_to_date(max(dated)).isoformat()]
            if dated else None,
            "undated": len(live) - len(dated),
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


def _ranks(order: list[int]) -> list[int]:
    rank = [0] * len(order)
    for i, d in enumerate(order):
        rank[d] = i
    return rank


def _date_int(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _split(value) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _expand(masks: Counter, names) -> dict[str, int]:
    counts: Counter = Counter()
    for mask, n in masks.items():
        while mask:
            low = mask & -mask              # one set bit at a time
            counts[names[low.bit_length() - 1]] += n
            mask ^= low
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
