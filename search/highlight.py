"""Highlighting: find the query's terms in a text and mark them, everything else HTML-escaped.

A text is run through the same analyzer as the index, so ``коррупцияга`` in a
document is marked for the query ``коррупция``; the best passage for a snippet
is the sentence window with the most distinct matched terms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from indexer.analysis import ANALYZER, TOKEN_RE

SNIPPET_CHARS = 260
_SENTENCE_RE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")


@dataclass(frozen=True)
class TermMatcher:
    """The index terms a query looks for (stems), and prefixes for ``word*``."""
    terms: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes)

    def matches(self, term: str) -> bool:
        return term in self.terms or (bool(self.prefixes) and term.startswith(self.prefixes))


def find_spans(text: str, matcher: TermMatcher) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, term) of every matched token, in order."""
    if not matcher or not text:
        return []
    spans = index_tokens(text, matcher)
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
# computed once per process and reused: a highlighted page costs a regex scan and dict
# lookups instead of the whole filter chain per word.  tests/test_highlight.py checks
# that this gives exactly what the analyzer gives, over the real corpus.

_TOKEN_MEMO: dict[str, tuple[tuple[int, int, str], ...]] = {}
_TOKEN_MEMO_MAX = 200_000


def analyzer_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, term) straight from the analyzer (the reference for ``index_tokens``)."""
    return [(t.startchar, t.endchar, t.text) for t in ANALYZER(text, positions=False, chars=True, mode="index")]


def index_tokens(text: str, matcher: TermMatcher | None = None) -> list[tuple[int, int, str]]:
    """(start, end, term) of every token ``analyze(text, "index")`` yields, in order (only
    those ``matcher`` matches, when given)."""
    memo = _TOKEN_MEMO
    keep = matcher.matches if matcher is not None else None
    out: list[tuple[int, int, str]] = []
    for m in TOKEN_RE.finditer(text):
        word = m.group()
        parts = memo.get(word)
        if parts is None:
            if len(memo) >= _TOKEN_MEMO_MAX:
                memo.clear()
            parts = memo[word] = tuple(analyzer_tokens(word))
        start = m.start()
        for a, b, term in parts:
            if keep is None or keep(term):
                out.append((start + a, start + b, term))
    return out


def mark(text: str, spans) -> str:
    out = []
    pos = 0
    for start, end, _ in spans:
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def highlight_all(text: str, matcher: TermMatcher) -> str:
    """The whole text, escaped, with every match marked."""
    return mark(text, find_spans(text, matcher))


def snippet(text: str, matcher: TermMatcher, size: int = SNIPPET_CHARS) -> str:
    """An escaped passage of about ``size`` characters around the best matches."""
    spans = find_spans(text, matcher) if matcher else []
    if not spans:
        return escape(_shorten(text, 0, size))
    sentences = [(m.start(), m.end()) for m in _SENTENCE_RE.finditer(text) if m.group().strip()]
    best = None
    for i, (s_start, _) in enumerate(sentences):
        # window: this sentence and following ones while they fit
        w_end = sentences[i][1]
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - s_start <= size:
            j += 1
            w_end = sentences[j][1]
        inside = [sp for sp in spans if sp[0] >= s_start and sp[1] <= w_end]
        if not inside:
            continue
        score = (len({sp[2] for sp in inside}), len(inside), -s_start)
        if best is None or score > best[0]:
            best = (score, s_start, w_end)
    if best is None:
        start = max(0, spans[0][0] - size // 3)
        end = start + size
    else:
        _, start, end = best
        if end - start > size:
            first = next(sp for sp in spans if sp[0] >= start)
            start = max(start, first[0] - size // 3)
            end = start + size
    start, end = _word_bounds(text, start, end)
    inside = [sp for sp in spans if sp[0] >= start and sp[1] <= end]
    body = mark(text[start:end], [(a - start, b - start, t) for a, b, t in inside]).strip()
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text.rstrip()) else ""
    return prefix + body + suffix


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


_MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.S)


def strip_marks(html: str, style=lambda s: s) -> str:
    """A highlighted HTML snippet as terminal text; ``style`` renders each match."""
    from html import unescape
    parts = []
    pos = 0
    for m in _MARK_RE.finditer(html):
        parts.append(unescape(html[pos:m.start()]))
        parts.append(style(unescape(m.group(1))))
        pos = m.end()
    parts.append(unescape(html[pos:]))
    return "".join(parts)
