"""The one place the search side meets an index library.

Everything above this package (search/*.py, web/) works on the engine-neutral plan
(search/plan.py), numpy arrays and plain dicts.  A backend opens a generation
(``Backend.open(path, name)``) as an object offering (see ``Generation`` below;
``whoosh_backend.WhooshGeneration`` is the Whoosh implementation, the only one so far):

- ``n``, ``live`` (bool per docnum), ``dates`` (yyyymmdd per docnum, 0 undated);
- ``up_to_date()``, ``refreshed()``, ``close()``; ``doc_count()`` (live documents);
- ``stored(docnums)``, ``document(id)``, ``export_reader(first)`` (``read(docnums)``, ``close()``);
- the lexicon: ``field_terms(field)``, ``prefix_terms(field, prefix)`` → [(df, term)],
  ``doc_frequency(term)``, ``text_terms()`` → (term, df) of the text fields;
- postings: ``term(field, text)`` → ``ids`` (docnums, ascending), ``contrib`` (the BM25F
  contribution per posting, None for unscored fields) and ``lookup(docs)`` (which docs have it,
  at which posting), ``positions(field, text)`` → position
  keys (docnum << 32 | position, ascending);
- ``exact_scores(node, candidates, gates)``: the score of a scoring plan node for a few
  candidates, summed in a fixed order (the near-ties of search/ranking.py);
- ``marked_coverage()`` → (segments whose exact-form and prefix terms are served, segments).

Only this package (and ``indexer/``) imports Whoosh (tests/test_architecture.py).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np


class Generation(Protocol):
    name: str
    n: int
    live: np.ndarray
    dates: np.ndarray

    def up_to_date(self) -> bool: ...
    def refreshed(self) -> "Generation": ...
    def close(self) -> None: ...
    def doc_count(self) -> int: ...
    def stored(self, docnums) -> list[dict]: ...
    def document(self, doc_id: str) -> dict | None: ...
    def export_reader(self, first: int | None): ...
    def field_terms(self, fieldname: str) -> list[str]: ...
    def prefix_terms(self, fieldname: str, prefix: str) -> list[tuple[int, str]]: ...
    def doc_frequency(self, term: str) -> int: ...
    def text_terms(self): ...
    def term(self, fieldname: str, text: str): ...
    def positions(self, fieldname: str, text: str) -> np.ndarray: ...
    def exact_scores(self, node, candidates: list[int], gates: dict) -> dict[int, float]: ...
    def marked_coverage(self) -> tuple[int, int]: ...


class Backend(Protocol):
    def open(self, path, name: str) -> Generation: ...
