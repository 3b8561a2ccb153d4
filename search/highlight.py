"""Highlighting: find the query's terms in a text, choose a passage, render the marks.

A text is run through the same analyzer as the index, so ``коррупцияга`` in a
document is marked for the query ``коррупция``; the best passage for a snippet
is the sentence window with the most distinct matched terms (an exact term of the
query counting before a keyboard-fold variant of it, see ``snippet_fragment``).

The roles are Whoosh's (``whoosh.highlight``): finding the matched tokens (``find_spans``),
choosing and scoring a passage (``snippet_fragment``: whole-sentence windows), and a formatter
rendering a ``Fragment`` — a text and the (start, end) offsets of its matches — without
looking at how it was found: ``HtmlFormatter`` (everything escaped, each match in ``<mark>``;
what the pages and ``/api/search``'s ``snippet`` show) and ``TerminalFormatter`` (each match
styled by a function, e.g. bold on a terminal; plain text otherwise).  ``highlight_all`` and
``snippet`` are the HTML renderings of ``highlight_fragment`` and ``snippet_fragment``.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from html import escape
from operator import itemgetter

from indexer.analysis import ANALYZER, TOKEN_RE, plain_token_terms

SNIPPET_CHARS = 260
_SENTENCE_RE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
_SENTENCE_ENDS = ".!?…\n"
_TERMINATORS = ".!?…"


@dataclass(frozen=True)
class TermMatcher:
    """The index terms a query looks for (stems), and prefixes for ``word*``.

    ``variants`` are those of ``terms`` that are only keyboard-fold variants of what the
    user typed (typed ``онуктуруу``, the index has ``өнүктүр``): matched and marked like
    any term, but a snippet prefers a passage with the exact terms.  They are always in
    ``terms`` as well; ``variants`` alone matches nothing.
    """
    terms: frozenset[str]
    prefixes: tuple[str, ...] = ()
    variants: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes)

    def matches(self, term: str) -> bool:
        return term in self.terms or (bool(self.prefixes) and term.startswith(self.prefixes))


def find_spans(text: str, matcher: TermMatcher) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, term) of every matched token, in order."""
    if not matcher or not text:
        return []
    spans = index_tokens(text, matcher)
    if not spans:
        return spans
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, str]] = []
    for start, end, term in spans:
        if merged and start < merged[-1][1]:
            continue  # a part of a compound already marked whole
        merged.append((start, end, term))
    return merged


# -- the index terms of a text, fast -----------------------------------------------------
#
# What analyze(text, "index") gives, as (start, end, term).  The analyzer works word by word:
# the tokenizer's regex cuts the text, and every later filter (normalizing, compound
# splitting, stemming) looks at one token at a time; only positions carry state from one
# token to the next, and highlighting needs none.  So the terms of each raw token are
# computed once per process and reused.  tests/test_highlight.py checks that this gives
# exactly what the analyzer gives, over the real corpus.
#
# One level up, a token never contains white space, so the terms of a text are those of
# its white-space separated chunks (``str.split()``), each chunk's terms at offsets inside
# it.  The chunks' terms are memoized too, with an inverted map term → chunks.  Finding
# the matches of a query then costs no per-token Python at all: ``text.split()`` and a set
# of the distinct chunks (C), the chunks not seen before analyzed once, the chunks holding a
# query term read off the inverted map and intersected with the text's (C), and only those
# chunks located in the text with ``str.find``.  Scanning the whole text with the token
# regex was about half the old cost by itself; splitting at white space is several times
# cheaper (bench/highlight_bench.py).  Should the token regex ever take white space
# (``_CHUNKED`` false, probed at import), everything goes token by token, as before.

_TOKEN_MEMO: dict[str, tuple[tuple[int, int, str], ...]] = {}
_TOKEN_MEMO_MAX = 200_000
_CHUNK_MEMO_MAX = 200_000
_PREFIX_CACHE_MAX = 128
_CHUNK_RE = re.compile(r"\S+")          # \S is exactly what str.split() keeps (Py_UNICODE_ISSPACE)


class _ChunkMemo:
    """chunk → its (start, end, term) parts; term → the chunks with a part of that term.

    Replaced by a fresh one when full, never cleared in place, so that a call holding one
    sees the two maps agree for every chunk it added (threads share the memo)."""
    __slots__ = ("parts", "by_term")

    def __init__(self):
        self.parts: dict[str, tuple[tuple[int, int, str], ...]] = {}
        self.by_term: dict[str, set[str]] = {}


_CHUNKS = _ChunkMemo()
# prefixes → (chunks classified so far, those of them with a term starting with a prefix)
_PREFIX_CACHE: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}


def _tokens_never_span_white_space() -> bool:
    """True when TOKEN_RE (no groups, no white space inside a token) allows the chunk path;
    a probe, not a proof — the corpus tests compare both paths with the analyzer."""
    if TOKEN_RE.groups or TOKEN_RE.match(""):
        return False
    spaces = [c for c in map(chr, range(0x3001)) if c.isspace()]
    probes = ("a", "ө", "1", "-", "\u00ad", "\u0301")
    for space in spaces:
        for left in probes:
            for right in probes:
                text = left + space + right
                if any(space in m.group() for m in TOKEN_RE.finditer(text)):
                    return False
    return True


_CHUNKED = _tokens_never_span_white_space()


def analyzer_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, term) straight from the analyzer (the reference for ``index_tokens``)."""
    return [(t.startchar, t.endchar, t.text) for t in ANALYZER(text, positions=False, chars=True, mode="index")]


def _word_parts(word: str) -> tuple[tuple[int, int, str], ...]:
    """The analyzer's (start, end, term) for one raw token (a whole ``TOKEN_RE`` match: what both
    callers pass), memoized.  A plain token (one word or number, no hyphen) is one term over the
    whole of it: the analyzer's own lookup (``plain_token_terms``) without a run of the
    analyzer; anything else runs it."""
    memo = _TOKEN_MEMO
    parts = memo.get(word)
    if parts is None:
        if len(memo) >= _TOKEN_MEMO_MAX:
            memo.clear()
        got = plain_token_terms(word, is_token=True)
        if got is not None:
            parts = memo[word] = ((0, len(word), got[1]),)
        else:
            parts = memo[word] = tuple(analyzer_tokens(word))
    return parts


def _scan_tokens(text: str, keep=None) -> list[tuple[int, int, str]]:
    """Token by token: every token regex match, its memoized parts shifted to its offset."""
    out: list[tuple[int, int, str]] = []
    for m in TOKEN_RE.finditer(text):
        start = m.start()
        for a, b, term in _word_parts(m.group()):
            if keep is None or keep(term):
                out.append((start + a, start + b, term))
    return out


def _chunk_parts(chunk: str) -> tuple[tuple[int, int, str], ...]:
    """The parts of one white-space free chunk; a chunk that is one token shares the word's."""
    m = TOKEN_RE.match(chunk)
    if m is not None and m.end() == len(chunk):
        return _word_parts(chunk)
    return tuple(_scan_tokens(chunk))


def _learn(memo: _ChunkMemo, chunks) -> None:
    parts_of = memo.parts
    by_term = memo.by_term
    for chunk in chunks:
        parts = _chunk_parts(chunk)
        for _, _, term in parts:
            by_term.setdefault(term, set()).add(chunk)
        parts_of[chunk] = parts       # last: a chunk in ``parts`` is complete in ``by_term``


def _known(distinct: set[str]) -> _ChunkMemo:
    """The chunk memo, with every chunk of ``distinct`` in it."""
    global _CHUNKS
    memo = _CHUNKS
    new = distinct.difference(memo.parts)
    if new:
        _learn(memo, new)
        if len(memo.parts) > _CHUNK_MEMO_MAX:
            _CHUNKS = _ChunkMemo()    # this call keeps using the full one
    return memo


def _prefix_hits(prefixes: tuple[str, ...], distinct: set[str], memo: _ChunkMemo) -> set[str]:
    """The chunks of ``distinct`` with a term starting with one of ``prefixes``."""
    entry = _PREFIX_CACHE.get(prefixes)
    if entry is None or len(entry[0]) > _CHUNK_MEMO_MAX:
        if len(_PREFIX_CACHE) >= _PREFIX_CACHE_MAX:
            _PREFIX_CACHE.clear()
        entry = _PREFIX_CACHE[prefixes] = (set(), set())
    seen, hits = entry
    new = distinct.difference(seen)
    if new:
        parts_of = memo.parts
        for chunk in new:
            for _, _, term in parts_of[chunk]:
                if term.startswith(prefixes):
                    hits.add(chunk)
                    break
        seen.update(new)              # after ``hits``: a seen chunk is classified
    return distinct.intersection(hits)


def _matched_tokens(text: str, matcher: TermMatcher) -> list[tuple[int, int, str]]:
    """What ``_scan_tokens(text, matcher.matches)`` gives, by chunks (see above)."""
    chunks = text.split()
    if not chunks:
        return []
    distinct = set(chunks)
    memo = _known(distinct)
    by_term = memo.by_term
    hits: set[str] = set()
    for term in matcher.terms:
        having = by_term.get(term)
        if having:
            hits.update(distinct.intersection(having))
    if matcher.prefixes:
        hits.update(_prefix_hits(matcher.prefixes, distinct, memo))
    if not hits:
        return []
    keep = matcher.matches
    parts_of = memo.parts
    size = len(text)
    found: list[tuple[int, tuple[tuple[int, int, str], ...]]] = []
    for chunk in hits:
        parts = tuple(p for p in parts_of[chunk] if keep(p[2]))
        if not parts:
            continue
        n = len(chunk)
        at = text.find(chunk)
        while at >= 0:                # every occurrence as a whole chunk (str.find: C speed)
            end = at + n
            if (at == 0 or text[at - 1].isspace()) and (end == size or text[end].isspace()):
                found.append((at, parts))
                at = text.find(chunk, end + 1)
            else:                     # inside a longer chunk
                at = text.find(chunk, at + 1)
    found.sort(key=itemgetter(0))
    return [(at + a, at + b, term) for at, parts in found for a, b, term in parts]


def index_tokens(text: str, matcher: TermMatcher | None = None) -> list[tuple[int, int, str]]:
    """(start, end, term) of every token ``analyze(text, "index")`` yields, in order (only
    those ``matcher`` matches, when given)."""
    if matcher is not None:
        if not matcher:
            return []
        if _CHUNKED:
            return _matched_tokens(text, matcher)
        return _scan_tokens(text, matcher.matches)
    if not _CHUNKED:
        return _scan_tokens(text)
    memo = _known(set(text.split()))
    parts_of = memo.parts
    out: list[tuple[int, int, str]] = []
    for m in _CHUNK_RE.finditer(text):
        start = m.start()
        out.extend((start + a, start + b, term) for a, b, term in parts_of[m.group()])
    return out


@dataclass(frozen=True)
class Fragment:
    """A text to show and its matches: ``marks`` are (start, end) offsets into ``text`` (Python
    string indices, i.e. code points), ascending and non-overlapping."""
    text: str
    marks: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, text: str, marks) -> "Fragment":
        """From a text and (start, end[, …]) pairs (spans, or the JSON ``[[start, end], …]``)."""
        return cls(text, tuple((m[0], m[1]) for m in marks))

    def pieces(self):
        """(text, is a match) in order, covering ``text``."""
        pos = 0
        for start, end in self.marks:
            if start > pos:
                yield self.text[pos:start], False
            yield self.text[start:end], True
            pos = end
        if pos < len(self.text) or not self.text:
            yield self.text[pos:], False


class HtmlFormatter:
    """A fragment as HTML: everything escaped, each match in ``<mark>…</mark>``."""

    def format(self, fragment: Fragment) -> str:
        return "".join(f"<mark>{escape(piece)}</mark>" if hit else escape(piece)
                       for piece, hit in fragment.pieces())


class TerminalFormatter:
    """A fragment as terminal text: each match through ``style`` (e.g. bold and coloured with
    ANSI codes on a terminal); without ``style`` the plain text."""

    def __init__(self, style=None):
        self.style = style

    def format(self, fragment: Fragment) -> str:
        if self.style is None:
            return fragment.text
        return "".join(self.style(piece) if hit else piece for piece, hit in fragment.pieces())


HTML = HtmlFormatter()


def highlight_fragment(text: str, matcher: TermMatcher) -> Fragment:
    """The whole text with every match."""
    return Fragment(text, tuple((start, end) for start, end, _ in find_spans(text, matcher)))


def highlight_all(text: str, matcher: TermMatcher) -> str:
    """The whole text, escaped, with every match marked."""
    return HTML.format(highlight_fragment(text, matcher))


def snippet(text: str, matcher: TermMatcher, size: int = SNIPPET_CHARS) -> str:
    """An escaped passage of about ``size`` characters around the best matches, matches
    marked (``snippet_fragment`` as HTML)."""
    return HTML.format(snippet_fragment(text, matcher, size))


def snippet_fragment(text: str, matcher: TermMatcher, size: int = SNIPPET_CHARS) -> Fragment:
    """A passage of about ``size`` characters around the best matches (``… `` before it when it
    does not start the text, `` …`` after it when it does not end it), with its matches.

    The candidates are windows of whole sentences (``_best_window``); the chosen one is cut
    at word boundaries and stripped of white space at both ends."""
    spans = find_spans(text, matcher) if matcher else []
    if not spans:
        return Fragment(_shorten(text, 0, size))
    starts = [sp[0] for sp in spans]
    ends = [sp[1] for sp in spans]        # ascending too: the spans don't overlap
    start, end = _word_bounds(text, *_best_window(text, spans, starts, ends, matcher.variants, size))
    lo = bisect_left(starts, start)
    hi = bisect_right(ends, end)
    passage = text[start:end]
    body = passage.strip()
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text.rstrip()) else ""
    shift = len(prefix) - start - (len(passage) - len(passage.lstrip()))
    marks = tuple((a + shift, b + shift) for a, b, _ in spans[lo:hi]) if hi > lo else ()
    return Fragment(prefix + body + suffix, marks)


def _best_window(text: str, spans, starts, ends, variants, size: int) -> tuple[int, int]:
    """(start, end) of the best window of whole sentences around the spans.

    The candidates are windows of whole sentences: a sentence and the following ones
    while the window stays within ``size``.  A window scores, compared in this order:
    distinct exact terms in it (a term not in ``variants``, prefix matches included),
    distinct variant terms, matches of exact terms, all matches, and last the earlier
    window.  So one exact term outweighs any number of keyboard-fold variants; with no
    variants this is (distinct terms, matches, earlier), as before.  A window longer than
    ``size`` (one long sentence) is cut to ``size`` from a third of it before its first span.
    """
    terms = [sp[2] for sp in spans]
    last_start = starts[-1]
    best = None
    for s_start, w_end in _windows(text, starts[0], last_start, size):
        lo = bisect_left(starts, s_start)
        hi = bisect_right(ends, w_end)
        if hi <= lo:
            continue
        inside = terms[lo:hi]
        distinct = set(inside)
        if variants:
            n_variant = len(distinct & variants)
            n_exact = sum(1 for t in inside if t not in variants)
            score = (len(distinct) - n_variant, n_variant, n_exact, hi - lo, -s_start)
        else:
            score = (len(distinct), 0, hi - lo, hi - lo, -s_start)
        if best is None or score > best[0]:
            best = (score, s_start, w_end)
    if best is None:
        start = max(0, spans[0][0] - size // 3)
        return start, start + size
    _, start, end = best
    if end - start > size:
        first = spans[bisect_left(starts, start)]
        start = max(start, first[0] - size // 3)
        end = start + size
    return start, end


def _windows(text: str, first_start: int, last_start: int, size: int):
    """(start, end) of each sentence window that can hold a span starting in
    [first_start, last_start]: a sentence and the following ones while they fit in ``size``."""
    # Only the sentences a window holding a span can start with or reach: a window starting
    # before a sentence boundary at or before (first span - size) ends at the latest there or
    # at its start + size, both before the first span ends; a window starting after the last
    # span's start is empty; and no window of those reaches a sentence starting after
    # last start + size.
    scan_from = first_start - size
    scan_from = _sentence_boundary(text, scan_from) if scan_from > 0 else 0
    stop = last_start + size
    sentences = []
    for m in _SENTENCE_RE.finditer(text, scan_from):
        if m.start() > stop:
            break
        if m.group().strip():
            sentences.append((m.start(), m.end()))
    sentence_ends = [e for _, e in sentences]
    for i, (s_start, _) in enumerate(sentences):
        if s_start > last_start:
            return                        # no span starts in this window or any later one
        yield s_start, sentence_ends[bisect_right(sentence_ends, s_start + size, i + 1) - 1]


def _sentence_boundary(text: str, pos: int) -> int:
    """A position <= ``pos`` where ``_SENTENCE_RE`` scanning the whole text is between two
    sentences, so that scanning from there finds the same sentences: the start, just after
    a newline, or just after a run of ``.!?…`` (a sentence never spans those)."""
    while pos > 0:
        p = max(text.rfind(c, 0, pos) for c in _SENTENCE_ENDS)
        if p < 0:
            return 0
        if text[p] == "\n" or p + 1 >= len(text) or text[p + 1] not in _TERMINATORS:
            return p + 1
        pos = p                      # inside a run like "?!": look further back
    return 0


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    start = max(0, start)
    end = min(len(text), end)
    if start > 0 and not text[start - 1].isspace():
        nxt = text.find(" ", start)
        if 0 <= nxt < end:
            start = nxt + 1
    if end < len(text) and not text[end].isspace():
        prev = text.rfind(" ", start, end)
        if prev > start:
            end = prev
    return start, end


def _shorten(text: str, start: int, size: int) -> str:
    s, e = _word_bounds(text, start, start + size)
    return text[s:e].strip() + (" …" if e < len(text.rstrip()) else "")
