"""Query expansion: Latin-typed Kyrgyz, Russian ↔ Kyrgyz equivalents, and "did you mean".

Engine-independent: an ``Expander`` sees the index only through two callables, made once per index
generation —

    doc_freq(term) -> int                        documents with the term (title or body)
    terms() -> Iterable[(term, doc_freq)]        every index term, read lazily on first need
                                                 (after that, a term not among them has doc_freq 0
                                                 without asking doc_freq)

and answers in index terms:

    alternatives(text, tokens)   extra (term, weight) per analyzed token of a query word or phrase, and
                                 extra phrases [(terms, weight)] (multi-word equivalents)
    expansions(atoms)            what was added, for the result: [{"from", "to", "kind"}]
    suggest(query)               the query with misspelled words corrected, or None

Kinds: ``latin`` (``Bishkek`` → бишкек, see ``search/translit.py``), ``equivalent`` (``ГКНБ`` → укмк, see
``search/equivalents.py``), ``typo`` (only in ``suggest``).  Everything is cached per word.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Callable, Iterable

from indexer.analysis import TOKEN_RE, analyze, fold, has_kyrgyz_letters, normalize, stem
from search.equivalents import equivalents
from search.suggest import Suggester
from search.translit import is_latin, latin_candidates

LATIN_WEIGHT = 0.9        # a Latin-typed word's Cyrillic readings (o/u/n also ө/ү/ң: the same weight)
MAX_LATIN_READINGS = 3    # readings of one Latin word searched at most
RARE_DF = 1               # a word in at most this many documents may be a typo …
TYPO_RATIO = 10           # … when a close term is in this many times more documents
OPERATORS = frozenset({"OR", "AND", "NOT"})
WORD_CACHE = 8192         # words remembered per cache (then it starts afresh)

Alternatives = tuple[list[list[tuple[str, float]]], list[tuple[tuple[str, ...], float]]]


class Expander:
    def __init__(self, doc_freq: Callable[[str], int], terms: Callable[[], Iterable[tuple[str, int]]]):
        # Once the vocabulary is read, a term outside it is in no document: answered without the
        # index (most Latin readings and misspellings are no term).  A list, not an attribute of
        # self: the cached function must not refer back to the expander (see below).
        self._vocabulary: list[frozenset[str] | None] = [None]
        vocabulary = self._vocabulary

        def known_doc_freq(term: str) -> int:
            listed = vocabulary[0]
            return 0 if listed is not None and term not in listed else doc_freq(term)

        self.doc_freq = lru_cache(maxsize=65_536)(known_doc_freq)
        self._terms = terms
        self._fold_map: dict[str, tuple[str, ...]] | None = None
        self._suggester: Suggester | None = None
        self._loading = threading.Lock()
        # per-word caches: plain dicts (an lru_cache of a bound method would make a reference cycle
        # that keeps an old generation's reader, and its open files, alive until a GC pass)
        self._latin_cache: dict[str, tuple] = {}
        self._correction_cache: dict[str, str | None] = {}

    def clear_caches(self) -> None:
        """Forget every per-word answer (for benchmarks); the vocabulary stays loaded."""
        self._latin_cache.clear()
        self._correction_cache.clear()
        self.doc_freq.cache_clear()

    def latin(self, word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(index terms, the readings as Cyrillic words) of a Latin word; see ``latin_forms``."""
        got = self._latin_cache.get(word)
        if got is None:
            if len(self._latin_cache) >= WORD_CACHE:
                self._latin_cache.clear()
            got = self._latin_cache[word] = self._latin(word)
        return got

    def correction(self, word: str) -> str | None:
        """The word corrected to the closest frequent index term, as a word to type, or None."""
        if word in self._correction_cache:
            return self._correction_cache[word]
        if len(self._correction_cache) >= WORD_CACHE:
            self._correction_cache.clear()
        got = self._correction_cache[word] = self._correction(word)
        return got

    # -- the vocabulary, read once ------------------------------------------------------
    def _load(self) -> None:
        with self._loading:
            if self._fold_map is None:
                self._read_vocabulary()

    def _read_vocabulary(self) -> None:
        listed: dict[str, int] = {}
        for term, df in self._terms():
            if df > listed.get(term, 0):
                listed[term] = df
        fmap: dict[str, list[str]] = {}
        for term in listed:
            if has_kyrgyz_letters(term):
                fmap.setdefault(fold(term), []).append(term)
        self._suggester = Suggester(listed.items())     # before the fold map: it marks "loaded"
        self._vocabulary[0] = frozenset(listed)
        self._fold_map = {k: tuple(sorted(v)) for k, v in fmap.items()}

    def forms(self, term: str) -> tuple[str, ...]:
        """Index terms a term typed without ң ө ү stands for: itself if indexed, and its exact-letter
        spellings (``тон`` → ``("тон", "тоң")``)."""
        if self._fold_map is None:
            self._load()
        out = (term,) if self.doc_freq(term) else ()
        if not has_kyrgyz_letters(term):
            out += tuple(v for v in self._fold_map.get(term, ()) if v != term)
        return out

    # -- Latin ------------------------------------------------------------------------------
    def latin_forms(self, word: str) -> tuple[str, ...]:
        """Index terms of the Cyrillic readings of a Latin word that exist in the index (one token
        each), the cheapest reading first; () when the Latin word is itself an indexed term
        (``Centerra``, ``IT``) that is not rare, or when no reading is indexed."""
        return self.latin(word)[0]

    def _latin(self, word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if not is_latin(word):
            return (), ()
        own = self.doc_freq(normalize(word))
        if own > RARE_DF:
            return (), ()         # the Latin word as typed is what the index has (Centerra, IT)
        found: list[tuple[str, ...]] = []
        readings: list[str] = []
        first_df = 0
        for reading in latin_candidates(word):
            terms = [t.text for t in analyze(reading, "query")]
            if len(terms) != 1:
                continue
            forms = self.forms(terms[0])
            if not forms:
                continue
            df = sum(self.doc_freq(f) for f in forms)
            if not found:
                first_df = df
            elif df < first_df:
                continue          # a costlier reading only when it is more frequent
            if forms not in found:
                found.append(forms)
                readings.append(reading)
            if len(found) >= MAX_LATIN_READINGS:
                break
        if own and first_df < TYPO_RATIO * own:
            return (), ()         # as typed it is rare, but its reading is not much more frequent
        return tuple(dict.fromkeys(f for forms in found for f in forms)), tuple(readings)

    # -- per query word -------------------------------------------------------------------------
    def alternatives(self, text: str, tokens) -> Alternatives:
        """For a query word or phrase ``text`` and its analyzed tokens (with ``.text``, ``.start``,
        ``.end`` into ``text``): extra (term, weight) per token, and extra whole phrases."""
        per_token: list[list[tuple[str, float]]] = []
        for tok in tokens:
            extra: list[tuple[str, float]] = []
            heads = [(tok.text, 1.0)]
            for f in self.latin_forms(text[tok.start:tok.end]):
                extra.append((f, LATIN_WEIGHT))
                heads.append((f, LATIN_WEIGHT))
            for head, w in heads:
                for form, ew, _ in equivalents((head,)):
                    if len(form) == 1:
                        extra.append((form[0], w * ew))
            per_token.append(_dedupe(extra, {tok.text}))
        phrases: list[tuple[tuple[str, ...], float]] = []
        if tokens:
            key = tuple(t.text for t in tokens)
            keys = [(key, 1.0)]
            if len(tokens) == 1:        # a Latin word's readings have multi-word equivalents too
                keys += [((f,), w) for f, w in per_token[0] if w == LATIN_WEIGHT]
            for k, w in keys:
                for form, ew, _ in equivalents(k):
                    if (len(form) > 1 or len(k) > 1) and form not in [p for p, _ in phrases]:
                        phrases.append((form, w * ew))
        return per_token, phrases

    def expansions(self, atoms: Iterable[tuple[str, str]]) -> list[dict]:
        """What ``alternatives`` added for each (kind, text) of a query (kinds ``word``/``phrase``),
        as ``{"from": typed, "to": [index terms or phrases], "kind": "latin"|"equivalent"}``."""
        out: list[dict] = []
        for kind, text in atoms:
            if kind not in ("word", "phrase"):
                continue
            tokens = analyze(text, "phrase" if kind == "phrase" else "query")
            for tok in tokens:
                latin, readings = self.latin(text[tok.start:tok.end])
                if latin:
                    _add(out, text[tok.start:tok.end], list(readings), "latin")
                eq = [shown for h in (tok.text, *latin) for f, _, shown in equivalents((h,)) if len(f) == 1]
                if eq:
                    _add(out, text[tok.start:tok.end], eq, "equivalent")
            if tokens:
                keys = [tuple(t.text for t in tokens)]
                if len(tokens) == 1:
                    keys += [(f,) for f in self.latin_forms(text[tokens[0].start:tokens[0].end])]
                phr = [shown for k in keys for f, _, shown in equivalents(k) if len(f) > 1 or len(k) > 1]
                if phr:
                    _add(out, text, phr, "equivalent")
        return out

    # -- did you mean -------------------------------------------------------------------------
    def _found(self, word: str, term: str) -> int:
        """Documents the word finds as the engine searches it (itself, fold and Latin variants,
        one-word equivalents), summed per term."""
        terms = {term, *self.forms(term), *self.latin_forms(word)}
        found = 0
        for t in list(terms):
            for form, _, _ in equivalents((t,)):
                if len(form) == 1:
                    terms.add(form[0])
                else:              # a known term of the field with a multi-word equivalent: no typo
                    found = RARE_DF + 1
        return found + sum(self.doc_freq(t) for t in terms)

    def _correction(self, word: str) -> str | None:
        tokens = analyze(word, "query")
        if len(tokens) != 1:
            return None
        term = tokens[0].text
        if term.isdigit() or self.doc_freq(term) > RARE_DF:
            return None           # (a frequent word never reads the vocabulary)
        found = self._found(word, term)
        if found > RARE_DF:
            return None
        if is_latin(word):          # a Latin word with no indexed reading: correct its readings
            for reading in latin_candidates(word)[:3]:
                fixed = self._correction(reading)
                if fixed:
                    return fixed
            return None
        if self._suggester is None:
            self._load()
        for cand, _, df in self._suggester.closest(term)[:1]:
            if df >= max(2, TYPO_RATIO * found):
                return _respell(word, term, cand)
        return None

    def suggest(self, query: str) -> str | None:
        """``query`` with every word that finds (almost) nothing replaced by its correction; None
        when nothing is corrected.  Operators, ``field:`` names and quotes are kept as typed.  Plain
        words that are a multi-word name of the equivalents table come back quoted instead."""
        phrase = self._as_phrase(query)
        if phrase:
            return phrase
        out, at, changed = [], 0, False
        for m in TOKEN_RE.finditer(query):
            word = m.group()
            if word in OPERATORS or query[m.end():m.end() + 1] == ":" or m.start() and query[m.start() - 1] == "*":
                continue
            if query[m.end():m.end() + 1] == "*":
                continue
            fixed = self.correction(word)
            if fixed and fixed != word:
                out.append(query[at:m.start()] + fixed)
                at, changed = m.end(), True
        if not changed:
            return None
        return "".join(out) + query[at:]

    def _as_phrase(self, query: str) -> str | None:
        """Plain words that together are a multi-word name of the table (``злоупотребление
        должностным положением``) and find (almost) nothing one by one: the quoted phrase, which
        matches the name's equivalents."""
        words = query.split()
        if len(words) < 2 or any(w in OPERATORS or not w.replace("-", "").isalpha() for w in words):
            return None
        terms = tuple(t.text for t in analyze(query, "phrase"))
        if not any(len(f) > 1 or len(terms) > 1 for f, _, _ in equivalents(terms)):
            return None
        if all(self.doc_freq(t) > RARE_DF for t in terms):
            return None
        return f'"{" ".join(words)}"'


def _respell(word: str, term: str, cand: str) -> str:
    """The typed word with its stem replaced by the correction (``прокуротурада`` → ``прокуратурада``),
    in the typed case; the bare correction when that would not analyze to it."""
    low = normalize(word)
    fixed = cand + low[len(term):] if low.startswith(term) else cand
    if stem(fixed) != cand:
        fixed = cand
    if word[:1].isupper():
        fixed = fixed[:1].upper() + fixed[1:]
    if word.isupper() and len(word) > 1:
        fixed = fixed.upper()
    return fixed


def _dedupe(pairs: list[tuple[str, float]], skip: set[str]) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for t, w in pairs:
        if t not in skip and w > best.get(t, 0.0):
            best[t] = w
    return list(best.items())


def _add(out: list[dict], frm: str, to: list[str], kind: str) -> None:
    for e in out:
        if e["from"] == frm and e["kind"] == kind:
            e["to"] = list(dict.fromkeys(e["to"] + to))
            return
    out.append({"from": frm, "to": list(dict.fromkeys(to)), "kind": kind})


