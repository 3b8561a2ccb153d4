"""Kyrgyz typed in Latin letters → its Kyrgyz Cyrillic readings.

The spellings are data (``data/lang/translit_latin.tsv``): each row maps one Latin spelling to one
Cyrillic reading at a cost, in a context.  ``latin_candidates(word)`` returns every reading the rows
allow, cheapest first and bounded (``MAX_READINGS``): a beam over the positions of the word, so a
long word with many ambiguous letters stays cheap.  Which reading is meant is decided elsewhere,
against the index vocabulary (``search/expand.py``).
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from indexer.lang import read_table

MAX_READINGS = 48        # readings kept per word (and per position of the beam)
MAX_LENGTH = 40          # longer "words" are not transliterated
SEGMENT_COST = 0.1       # per table row used: a digraph (sh → ш) reads before its letters (s + h → сх)
VOWELS = frozenset("aeiouyöüıéóúё")


def _load():
    rules: dict[str, list[tuple[str, float, str]]] = {}
    for row in read_table("translit_latin.tsv"):
        latin = unicodedata.normalize("NFC", row["latin"].strip())
        rules.setdefault(latin, []).append((row["cyrillic"].strip(), float(row["cost"]), row["where"].strip()))
    return rules


RULES = _load()
LONGEST = max(map(len, RULES))
LETTERS = frozenset(ch for key in RULES for ch in key if ch.isalpha())


def is_latin(word: str) -> bool:
    """A word written only in letters the table reads (a-z, ö ü ş ç ğ ı ñ …, apostrophes, hyphens)."""
    w = unicodedata.normalize("NFC", word).lower()
    return (any(ch.isalpha() for ch in w)
            and all(ch in LETTERS or ch in "'-" for ch in w) and len(w) <= MAX_LENGTH)


def _applies(where: str, word: str, i: int) -> bool:
    if where == "any":
        return True
    if where == "start":
        return i == 0
    prev_vowel = i > 0 and word[i - 1] in VOWELS
    if where == "after_vowel":
        return prev_vowel
    if where == "after_consonant":
        return i > 0 and not prev_vowel
    return False


@lru_cache(maxsize=16_384)
def latin_candidates(word: str) -> tuple[str, ...]:
    """Every Cyrillic reading of a Latin word, cheapest first, at most ``MAX_READINGS``
    (``"Bishkek"`` → ``("бишкек", "бышкек", …)``).  Hyphenated words are read part by part;
    a word with a letter the table does not know gets no reading."""
    w = unicodedata.normalize("NFC", word).lower()
    if not is_latin(w):
        return ()
    if "-" in w:
        parts = [latin_candidates(p) if p else ("",) for p in w.split("-")]
        if not all(parts):
            return ()
        out = [(0, "")]
        for i, readings in enumerate(parts):
            out = sorted(((c + j, f"{s}-{r}" if i else r) for c, s in out
                          for j, r in enumerate(readings)), key=lambda x: x[0])[:MAX_READINGS]
        return tuple(s for _, s in out)
    # beam[i]: the cheapest (cost, text) readings of w[:i]
    beam: list[dict[str, float]] = [dict() for _ in range(len(w) + 1)]
    beam[0][""] = 0.0
    for i in range(len(w)):
        here = beam[i]
        if not here:
            continue
        if len(here) > MAX_READINGS:
            here = dict(sorted(here.items(), key=lambda kv: (kv[1], kv[0]))[:MAX_READINGS])
        for n in range(1, min(LONGEST, len(w) - i) + 1):
            for cyr, cost, where in RULES.get(w[i:i + n], ()):
                if not _applies(where, w, i):
                    continue
                nxt = beam[i + n]
                for text, c in here.items():
                    t, total = text + cyr, c + cost + SEGMENT_COST
                    if total < nxt.get(t, 1e9):
                        nxt[t] = total
    done = sorted(beam[len(w)].items(), key=lambda kv: (kv[1], kv[0]))
    return tuple(t for t, _ in done[:MAX_READINGS])


def latin_spellings(cyrillic: str, habit: dict[str, str]) -> str:
    """A Cyrillic word written in a Latin habit (``{"ж": "zh", …}``; a letter not in it: the cost-0
    row of the table).  For tests and examples: the inverse of the table, one habit at a time."""
    default: dict[str, str] = {}
    for latin, rows in RULES.items():
        for cyr, cost, where in rows:
            if cost == 0 and where == "any" and len(cyr) == 1 and cyr not in default and latin.isascii():
                default[cyr] = latin
    return "".join(habit.get(ch, default.get(ch, ch)) for ch in cyrillic.lower())
