"""Counts a researcher can cite, on the 24.kg corpus: ``total`` is the number of documents
having every unit of the query, checked against sets computed independently of the engine's
query path — each stored document run through the analyzer, a word matching a document when
its term (or, typed without ң ө ү, a keyboard-fold variant of it) is among the document's.
Query expansion (Latin readings, Russian–Kyrgyz equivalents, corrections: tests/test_expand.py)
is off here, so that the oracle is the analyzer alone."""
from __future__ import annotations

import itertools

import pytest

from indexer.analysis import analyze, fold, has_kyrgyz_letters
from search.engine import SearchEngine
from search.filters import make_filters

WORDS = ["коррупция", "сот", "пара", "алуу", "президент", "Бишкек", "шайлоо", "депутат", "Тоң",
         "районунда", "прокуратура", "акча", "министр", "кызмат", "Кенеш"]


@pytest.fixture(scope="module")
def corpus(corpus_store):
    """(engine, {id: set of index terms}) of every live document."""
    corpus_engine = SearchEngine(store=corpus_store)
    corpus_engine.expand = False
    st = corpus_engine.state()
    terms = {}
    for fields in st.reader.searcher.documents():
        text = (fields.get("title") or "") + "\n" + (fields.get("body") or "")
        terms[fields["id"]] = {t.text for t in analyze(text, "index")}
    return corpus_engine, terms


def word_set(terms_by_doc, word) -> set[str]:
    (term,) = [t.text for t in analyze(word, "query")]
    folded = not has_kyrgyz_letters(word)
    return {d for d, terms in terms_by_doc.items()
            if term in terms or (folded and any(fold(t) == term for t in terms))}


def results(engine, q, **kw):
    """(ids of the full matches, ids of the partial ones, the first page) of a query, all pages."""
    full, partial, page, first = [], [], 1, None
    while True:
        r = engine.search(q, page=page, per_page=100, **kw)
        first = first or r
        for h in r["hits"]:
            (partial if h["partial"] else full).append(h["id"])
        if page >= r["pages"]:
            break
        page += 1
    assert len(full) == len(set(full)) and not set(full) & set(partial)
    assert len(full) == first["total"] and len(partial) == first["partial_total"]
    return set(full), set(partial), first


@pytest.fixture(scope="module")
def sets(corpus):
    _, terms = corpus
    return {w: word_set(terms, w) for w in WORDS}


def test_single_words_are_their_independent_sets(corpus, sets):
    engine, _ = corpus
    for w in WORDS:
        full, partial, _ = results(engine, w)
        assert full == sets[w], w
        assert not partial
    assert sum(bool(s) for s in sets.values()) >= 12


PAIRS = [("пара", "алуу"), ("коррупция", "сот"), ("Тоң", "районунда"), ("президент", "шайлоо"),
         ("Бишкек", "депутат"), ("акча", "министр")]


@pytest.mark.parametrize("a, b", PAIRS)
def test_two_words_count_the_intersection_and_the_rest_is_partial(corpus, sets, a, b):
    engine, _ = corpus
    both, some = sets[a] & sets[b], sets[a] | sets[b]
    full, partial, first = results(engine, f"{a} {b}")
    assert full == both
    assert partial == some - both
    assert first["all_words_found"] == (bool(both) or not some)
    full_and, partial_and, _ = results(engine, f"{a} AND {b}")
    assert full_and == both and not partial_and       # a written AND wants both, no partial list
    full_or, partial_or, _ = results(engine, f"{a} OR {b}")
    assert full_or == some and not partial_or
    full_not, _, _ = results(engine, f"{a} -{b}")
    assert full_not == sets[a] - sets[b]
    assert results(engine, f"{a} NOT {b}")[0] == sets[a] - sets[b]
    assert results(engine, f"+{a} {b}")[:2] == (both, set())          # +a: partial ones need a too


@pytest.mark.parametrize("a, b, c", [("коррупция", "пара", "сот"), ("президент", "депутат", "шайлоо"),
                                     ("акча", "кызмат", "министр")])
def test_groups(corpus, sets, a, b, c):
    engine, _ = corpus
    either = sets[a] | sets[b]
    full, partial, _ = results(engine, f"({a} OR {b}) {c}")
    assert full == either & sets[c]
    assert partial == (either | sets[c]) - (either & sets[c])
    assert results(engine, f"{c} ({a} OR {b})")[0] == either & sets[c]
    assert results(engine, f"{a} OR {b} {c}")[0] == either & sets[c]      # OR binds tighter
    assert results(engine, f"({a} {c}) OR {b}")[0] == (sets[a] & sets[c]) | sets[b]
    assert results(engine, f"{c} -({a} OR {b})")[0] == sets[c] - either
    assert results(engine, f"{a} {b} {c}")[0] == sets[a] & sets[b] & sets[c]
    three = results(engine, f"{a} {b} {c}")[1]
    assert three == (sets[a] | sets[b] | sets[c]) - (sets[a] & sets[b] & sets[c])


def test_facets_and_timeline_count_the_full_set(corpus, sets):
    engine, _ = corpus
    for a, b in PAIRS[:4]:
        full, _, first = results(engine, f"{a} {b}")
        years = first["facets"]["year"]
        dated = sum(years.values())
        bins = sum(b["count"] for b in first["timeline"]["bins"])
        assert bins == dated and dated + first["timeline"]["undated"] == len(full)
        assert sum(first["facets"]["oblast"].values()) >= 0
        for name, count in first["facets"]["oblast"].items():
            assert count <= len(full)


def test_filters_apply_to_both_tiers(corpus, sets):
    engine, _ = corpus
    f = make_filters(date_from="2000")
    all_full, all_partial, _ = results(engine, "коррупция сот")
    full, partial, _ = results(engine, "коррупция сот", filters=f)
    assert full <= all_full and partial <= all_partial
    dated = {h for h in all_full | all_partial
             if engine.document(h)["date"] and engine.document(h)["date"] >= "2000"}
    assert full | partial == dated


def test_relevance_and_date_order_list_the_full_matches_first(corpus):
    engine, _ = corpus
    for sort in ("relevance", "newest", "oldest"):
        flags = []
        for page in (1, 2, 3):
            flags += [h["partial"] for h in engine.search("коррупция сот", page=page, per_page=7, sort=sort)["hits"]]
        assert flags == sorted(flags), sort          # all False (full) before any True
        assert False in flags and True in flags


@pytest.mark.parametrize("unit", ['"Жогорку Кеңеш"', "корруп*", "title:коррупция", "Жогорку Кенеш",
                                  '"Бишкек шаары"', "депутат*"])
def test_phrases_prefixes_and_fields_combine_as_units(corpus, sets, unit):
    """A phrase, a prefix or a field-restricted word is one unit: combined with a word, the total
    is the intersection of the two single-unit results."""
    engine, _ = corpus
    alone, alone_partial, _ = results(engine, unit)
    if " " in unit and not unit.startswith('"'):
        assert alone_partial                    # two words typed: partial matches exist here
    for w in ("сот", "президент"):
        full, partial, _ = results(engine, f"{unit} {w}")
        assert full == alone & sets[w]
        assert results(engine, f"{unit} -{w}")[0] == alone - sets[w]
        if " " not in unit or unit.startswith('"'):      # (two bare words: OR binds the second)
            assert results(engine, f"{unit} OR {w}")[0] == alone | sets[w]
