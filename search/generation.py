"""The served generation, open: the backend's reader (search/backend/), the caches of what was
computed over it (search/cache.py) and the arrays derived from it on first use
(``functools.cached_property``: computed outside any lock, two threads may compute one twice).

``Served`` swaps generations: threads share one ``Generation`` without an engine-wide lock; it
is replaced under a short lock when ``CURRENT`` names another generation or the generation got
new documents, and closed when its last user is done.
"""
from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from contextlib import contextmanager
from functools import cached_property

import numpy as np

from indexer import fields as registry
from indexer import stems
from indexer.analysis import fold, has_kyrgyz_letters, stem
from indexer.store import GenerationUnusable, IndexStore, describe_error
from search.cache import LRU
from search.expand import Expander
from kgsearch.settings import current as settings
from search.query import FIELDS

# cache sizes per generation, from the settings (kgsearch/settings.py: defaults, KGSEARCH_* variables)
CACHE_SIZE = settings().cache_size                # result pages
QUERY_CACHE = settings().query_cache              # evaluated queries (doc sets, score array, facets)
FILTER_CACHE_SIZE = settings().filter_cache_size  # filter doc sets
PREFIX_CACHE = 256                                # prefix expansions
DOCSET_CACHE_DOCS = settings().docset_cache_docs  # docnums of phrase / prefix doc sets


class NoIndex(Exception):
    """No index has been built yet at this location."""


class IndexUnavailable(NoIndex):
    """The served generation cannot be opened (missing folder, garbage Whoosh files or
    manifest); the message names the generation and the fix (rollback or reindex)."""


class Generation:
    """One open generation and what is derived from it; the lexicon search/compile.py asks."""

    def __init__(self, reader):
        self.reader = reader
        self.generation = reader.name
        self.n, self.live, self.dates = reader.n, reader.live, reader.dates
        self.pages = LRU(CACHE_SIZE)                     # (query, page, …) → result page
        self.queries = LRU(QUERY_CACHE)                  # (query, filters) → search/evaluate.py's
        self.filters = LRU(FILTER_CACHE_SIZE)            # Filters → mask
        self.docsets = LRU(DOCSET_CACHE_DOCS, weigh=lambda docnums: len(docnums) + 1)  # node → docnums
        self.prefixes = LRU(PREFIX_CACHE)                # (fields, prefix) → [(df, field, term)]
        self.users = 0                                   # searches using it now (``Served._lock``)
        self.retired = False                             # replaced: closed when its last user is done

    # -- the lexicon ------------------------------------------------------------------
    @cached_property
    def fold_map(self) -> dict[str, list[str]]:
        """Index terms with ң ө ү, by what a Russian keyboard makes of them."""
        fmap: dict[str, set[str]] = defaultdict(set)
        for fieldname in FIELDS:
            for term in self.reader.field_terms(fieldname):
                if has_kyrgyz_letters(term):
                    fmap[fold(term)].add(term)
        return {k: sorted(v) for k, v in fmap.items()}

    def has_field(self, fieldname: str) -> bool:
        return self.reader.has_field(fieldname)

    def fold_variants(self, term: str) -> list[str]:
        return self.fold_map.get(term, [])

    def prefix_terms(self, fields: tuple, prefix: str) -> list[tuple[int, str, str]]:
        """[(document frequency, field, term)] of the index terms of ``fields`` starting with
        ``prefix``, and the stems of the words the index holds that start with it (a prefix
        longer than a word's stem, ``макала*`` of the stem ``макал``, ``коррупцияга*``), most
        frequent first (ties by field, then alphabetically)."""
        key = (fields, prefix)
        found = self.prefixes.get(key)
        if found is None:
            got = {(f, t): df for f in fields for df, t in self.reader.prefix_terms(f, prefix)}
            for f in fields:
                for term in self.stems_of_forms(f, prefix):
                    if (f, term) not in got:
                        df = len(self.reader.term(f, term).ids)
                        if df:
                            got[(f, term)] = df
            found = sorted(((df, f, t) for (f, t), df in got.items()), key=lambda x: (-x[0], x[1], x[2]))
            found = self.prefixes.put(key, found)
        return found

    @cached_property
    def exact_forms(self) -> dict[str, list[str]]:
        """Per text field, the word forms the index holds (its exact-form terms without the mark,
        indexer/marked.py), sorted."""
        return {f: self.reader.word_forms(f) for f in FIELDS}

    def stems_of_forms(self, fieldname: str, prefix: str) -> set[str]:
        """The stems of the field's word forms that start with ``prefix`` but whose stem does not
        (the prefix reaches past the stem: ``макала*`` → ``макал``)."""
        forms = self.exact_forms.get(fieldname, [])
        out = set()
        for i in range(bisect.bisect_left(forms, prefix), len(forms)):
            if not forms[i].startswith(prefix):
                break
            term = stem(forms[i])
            if not term.startswith(prefix):
                out.add(term)
        return out

    @cached_property
    def expander(self) -> Expander:
        """Latin readings, equivalents, did-you-mean (search/expand.py)."""
        reader = self.reader            # no reference back to the generation
        return Expander(reader.doc_frequency, reader.text_terms)

    # -- derived arrays ----------------------------------------------------------------
    @cached_property
    def years(self) -> np.ndarray:
        """date // 10000 per docnum (0 undated)."""
        return (self.dates // 10000).astype(np.int64)

    @cached_property
    def months(self) -> np.ndarray:
        """year·12 + month-1 per docnum, -1 undated."""
        d = self.dates
        return np.where(d > 0, d // 10000 * 12 + d // 100 % 100 - 1, -1)

    @cached_property
    def by_date(self) -> tuple[np.ndarray, np.ndarray]:
        """(live dated docnums sorted by (date, docnum), their dates)."""
        dated = np.flatnonzero((self.dates > 0) & self.live)
        order = dated[np.argsort(self.dates[dated], kind="stable")]
        return order, self.dates[order]

    @cached_property
    def rank_newest(self) -> np.ndarray:
        """docnum → rank by (date, docnum), larger = newer."""
        return _ranks(np.lexsort((-np.arange(self.n), self.dates)))

    @cached_property
    def rank_oldest(self) -> np.ndarray:
        """docnum → rank by (undated last, date, docnum)."""
        return _ranks(np.lexsort((np.arange(self.n), self.dates, self.dates == 0)))

    @cached_property
    def facet_terms(self) -> dict:
        """field → (values sorted, value index per posting, docnum per posting) of each value
        facet of the registry (indexer/fields.py): the index's own terms of the field (no list
        outside the index, no limit on their number; none when the index lacks the field);
        counts over any documents are one ``bincount`` (search/facets.py)."""
        out = {}
        for fieldname in (f.field for f in registry.value_facets()):
            names = self.reader.field_terms(fieldname)
            ids = [self.reader.term(fieldname, name).ids for name in names]
            which = np.repeat(np.arange(len(names), dtype=np.int32), [len(i) for i in ids])
            out[fieldname] = (names, which, np.concatenate(ids) if ids else np.zeros(0, np.int32))
        return out

    def mask(self, docnums=None) -> np.ndarray:
        """A boolean mask over the docnums, with ``docnums`` (an array or iterable) set."""
        mask = np.zeros(self.n, bool)
        if docnums is not None:
            if not isinstance(docnums, np.ndarray):
                docnums = np.fromiter(docnums, np.int64)
            mask[docnums] = True
        return mask


def _ranks(order: np.ndarray) -> np.ndarray:
    """rank[docnum] = its place in ``order``."""
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


class Served:
    """The current generation of an ``IndexStore``, opened through a backend and swapped when
    the served index changes; a generation in use is not closed by a switch."""

    def __init__(self, store: IndexStore, backend):
        self.store, self.backend = store, backend
        self._lock = threading.Lock()         # held only to read or swap ``_current`` and count users
        self._reopen = threading.Lock()       # one thread opens a new generation; others keep serving
        self._current: Generation | None = None

    @contextmanager
    def using(self):
        """The current generation, kept open while in use."""
        gen = self.enter()
        try:
            yield gen
        finally:
            self.leave(gen)

    def enter(self) -> Generation:
        """The current generation, its user count taken (give it back with ``leave``)."""
        try:
            name = self.store.current()
        except (OSError, ValueError) as exc:      # an unreadable or undecodable CURRENT
            raise IndexUnavailable(f"the index cannot be read ({describe_error(exc)})") from None
        if name is None:
            raise NoIndex(f"no index at {self.store.root}; run `kgsearch reindex SOURCE...` first")
        gen = self._current
        if gen is not None and gen.generation == name and gen.reader.up_to_date():
            with self._lock:
                if self._current is gen:
                    gen.users += 1
                    return gen
        with self._reopen:                    # slow opening outside ``_lock``: others go on
            return self._swap(name)

    def _swap(self, name: str) -> Generation:
        gen = self._current
        if gen is None or gen.generation != name:
            new, retire = Generation(self._open(name)), gen
        elif not gen.reader.up_to_date():
            # the refreshed reader reuses the unchanged segments' readers: keep them open
            new, retire = Generation(gen.reader.refreshed()), None
        else:
            new, retire = gen, None
        with self._lock:
            self._current = new
            new.users += 1
            close = False
            if retire is not None:
                retire.retired = True
                close = retire.users == 0
        if close:
            retire.reader.close()
        return new

    def _open(self, name: str):
        """The backend's generation; any failure to open it as ``IndexUnavailable`` naming the
        fix (a 503 on the web, exit 8 on the command line), never a traceback."""
        try:
            self.store.read_manifest(name)        # GenerationUnusable: no folder, no readable manifest
            reader = self.backend.open(self.store.path(name), name)
        except GenerationUnusable as exc:
            raise IndexUnavailable(str(exc)) from None
        except Exception as exc:
            raise IndexUnavailable(str(GenerationUnusable(
                name, f"its Whoosh files are unreadable: {describe_error(exc)}",
                self.store.rollback_target(name)))) from None
        stems.load(self.store.path(name))         # its words' stems: no stemmer run for them
        return reader

    def leave(self, gen: Generation) -> None:
        with self._lock:
            gen.users -= 1
            close = gen.retired and gen.users == 0
        if close:
            gen.reader.close()

    def close(self) -> None:
        with self._lock:
            gen, self._current = self._current, None
            close = gen is not None and gen.users == 0
            if gen is not None:
                gen.retired = True
        if close:
            gen.reader.close()
