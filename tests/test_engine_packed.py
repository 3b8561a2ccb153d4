"""The packed term cache: a term whose doc set was evicted comes back from its packed arrays
(no second decoding of its postings) with the same pages; the cache stays within its bound."""
from __future__ import annotations

import search.engine as engine_mod
from search.engine import SearchEngine

QUERIES = ["Бишкек", "Жогорку Кеңеш", '"Жогорку Кеңеш"', '"Кыргыз Республикасынын"', "айыл чарба министрлиги",
           '"ички иштер министрлиги"', "президент шайлоо", "Жогорку Кенеш", '"Бишкек шаарынын"']


def _pages(engine):
    return [{k: v for k, v in engine.search(q).items() if k != "took_ms"} for q in QUERIES]


def test_pages_from_packed_entries_are_the_same(corpus_engine):
    engine = SearchEngine(store=corpus_engine.store)
    first = _pages(engine)
    st = engine.state()
    assert st.packed and st.packed_size <= engine_mod.PACKED_POSTINGS + max(len(v[0]) + 1 for v in st.packed.values())
    # forget the doc sets and the pages: only the packed arrays are left
    st.docsets.clear()
    st.docsets_size = 0
    st.cache.clear()
    calls = []
    real = engine_mod.postings_blocks
    engine_mod.postings_blocks = lambda *a, **kw: calls.append(1) or real(*a, **kw)
    try:
        again = _pages(engine)
    finally:
        engine_mod.postings_blocks = real
    assert again == first
    assert not calls            # nothing decoded again
    engine.close()


def test_packed_cache_is_bounded(corpus_engine, monkeypatch):
    monkeypatch.setattr(engine_mod, "PACKED_POSTINGS", 2_000)
    engine = SearchEngine(store=corpus_engine.store)
    ref = SearchEngine(store=corpus_engine.store)
    monkeypatch.setattr(engine_mod, "TERM_CACHE_POSTINGS", 500)
    small = _pages(engine)
    st = engine.state()
    biggest = max(len(v[0]) + 1 for v in st.packed.values())
    assert st.packed_size <= max(2_000, biggest)
    assert st.packed_size == sum(len(v[0]) + 1 for v in st.packed.values())
    monkeypatch.setattr(engine_mod, "TERM_CACHE_POSTINGS", 1_000_000)
    monkeypatch.setattr(engine_mod, "PACKED_POSTINGS", 0)
    assert _pages(ref) == small
    engine.close()
    ref.close()
