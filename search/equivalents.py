"""Russian ↔ Kyrgyz names of the same thing (``data/lang/bilingual_terms.tsv``).

One row of the table is one concept; its forms (``ГКНБ``, ``УКМК``, ``Улуттук коопсуздук мамлекеттик
комитети`` …) are analyzed with the index's analyzer, so a form is the sequence of index terms it
becomes.  ``equivalents(terms)`` gives, for the analyzed terms of a query word or phrase, the other forms
of its concepts.  Lookups are by the keyboard-folded terms, so ``Кенеш`` meets ``Кеңеш``.
"""
from __future__ import annotations

from functools import lru_cache

from indexer.analysis import analyze, fold, normalize
from indexer.lang import read_table

EQUIV_WEIGHT = 0.5      # an equivalent ranks below the word as typed
MIN_STEM = 3            # a one-word form stemmed shorter than this stands only in phrases (ай, the month)


def _form_terms(form: str) -> tuple[str, ...] | None:
    terms = tuple(t.text for t in analyze(form, "phrase"))
    if not terms:
        return None
    if len(terms) == 1 and len(terms[0]) < MIN_STEM and terms[0] != normalize(form):
        return None          # a short stem of a longer word: it would match unrelated words
    return terms


@lru_cache(maxsize=1)
def table() -> tuple[dict[tuple[str, ...], frozenset[int]], list[tuple[tuple[tuple[str, ...], str], ...]]]:
    """(folded terms of a form → concept ids, concept id → its forms as (terms, text as written))."""
    concepts: list[tuple[tuple[tuple[str, ...], str], ...]] = []
    index: dict[tuple[str, ...], set[int]] = {}
    for row in read_table("bilingual_terms.tsv"):
        forms = []
        for form in (row["ru"] + "|" + row["ky"]).split("|"):
            terms = _form_terms(form.strip()) if form.strip() else None
            if terms and terms not in [f for f, _ in forms]:
                forms.append((terms, form.strip()))
        if len(forms) < 2:
            continue
        cid = len(concepts)
        concepts.append(tuple(forms))
        for terms, _ in forms:
            index.setdefault(tuple(fold(t) for t in terms), set()).add(cid)
    return {k: frozenset(v) for k, v in index.items()}, concepts


@lru_cache(maxsize=16_384)
def equivalents(terms: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], float, str], ...]:
    """The other forms of every concept ``terms`` (analyzed, as the index has them) is a form of,
    each as (its terms, weight, the form as written):
    ``("гкнб",)`` → ``((("укмк",), 0.5, "УКМК"), (("улут", "коо", …), 0.5, "Улуттук …"), …)``."""
    index, concepts = table()
    key = tuple(fold(t) for t in terms)
    out = []
    for cid in sorted(index.get(key, ())):
        for form, text in concepts[cid]:
            if tuple(fold(t) for t in form) != key and form not in [f for f, _, _ in out]:
                out.append((form, EQUIV_WEIGHT, text))
    return tuple(out)
