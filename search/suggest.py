"""Closest index terms to a misspelled one ("did you mean"), with Kyrgyz folding.

Terms are compared keyboard-folded (ң→н, ө→о, ү→у: a word typed without them is 0 edits away),
with ``rapidfuzz``'s Levenshtein distance, only against index terms of the same first letter and a
near length (buckets built once per index generation), so a lookup reads a few hundred terms even at
100k documents.  Among the closest, the most frequent wins.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from indexer.analysis import fold

MIN_DF = 2              # a suggestion is a term of at least this many documents
LENGTH_SLACK = 2        # terms this much shorter or longer are compared


def max_edits(length: int) -> int:
    """Edits allowed for a term of this length: 1 up to 4 letters, 2 from 5, 3 from 10."""
    return 1 if length <= 4 else 2 if length < 10 else 3


class Suggester:
    def __init__(self, terms: Iterable[tuple[str, int]]):
        """``terms``: (index term, document frequency); only Cyrillic terms of ``MIN_DF``+ documents."""
        folded: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for term, df in terms:
            if df >= MIN_DF and len(term) >= 3 and term.isalpha() and not term.isascii():
                folded[fold(term)].append((term, df))
        self.forms = {k: sorted(v, key=lambda x: (-x[1], x[0])) for k, v in folded.items()}
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for key in self.forms:
            buckets[(key[0], len(key))].append(key)
        self.buckets = dict(buckets)

    def closest(self, term: str) -> list[tuple[str, int, int]]:
        """Index terms closest to ``term`` as (term, edits, df), fewest edits then most frequent
        first; the term itself (or its folded spelling) is not among them."""
        key = fold(term)
        if len(key) < 3:
            return []
        limit = max_edits(len(key))
        found: list[tuple[str, int, int]] = []
        for length in range(len(key) - LENGTH_SLACK, len(key) + LENGTH_SLACK + 1):
            choices = self.buckets.get((key[0], length))
            if not choices:
                continue
            for cand, dist, _ in process.extract(key, choices, scorer=Levenshtein.distance,
                                                  score_cutoff=limit, limit=None):
                if cand == key:
                    continue
                best, df = self.forms[cand][0]
                found.append((best, int(dist), df))
        found.sort(key=lambda x: (x[1], -x[2], x[0]))
        return found
