"""The cost bound of a query: a prefix ``ка*`` stands for at most ``PREFIX_TERMS`` index terms
(the ones most documents have), and all the prefixes of one query together for at most
``QUERY_TERMS`` terms and ``QUERY_POSTINGS`` postings; what is cut is said in the result's
``notes`` (``prefix_too_broad``)."""
from __future__ import annotations

from kgsearch.settings import current as settings

# from the settings (kgsearch/settings.py: defaults, KGSEARCH_PREFIX_TERMS / _QUERY_TERMS / _QUERY_POSTINGS)
PREFIX_TERMS = settings().prefix_terms
QUERY_TERMS = settings().query_terms
QUERY_POSTINGS = settings().query_postings


class Budget:
    """What the prefixes of one query may still expand to."""

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

    def spend(self, typed: str, found: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
        """The (field, term) of ``found`` ([(document frequency, field, term)], most frequent
        first) the next prefix may use; a ``prefix_too_broad`` note when that is not all."""
        allowed = self.allowance()
        kept = []
        postings = 0
        for df, f, t in found:
            if len(kept) >= allowed or self.postings + postings + df > QUERY_POSTINGS:
                break
            kept.append((f, t))
            postings += df
        self.terms += len(kept)
        self.postings += postings
        if len(kept) < len(found):
            self.notes.append({
                "kind": "prefix_too_broad", "prefix": typed, "terms": len(found), "used": len(kept),
                "message": f"{typed}* stands for {len(found)} words; only the {len(kept)} most "
                           "frequent were searched — type more letters to search them all"})
        return kept
