"""Proximity (search/proximity.py): among a tier's first candidates, the documents where the
query's words stand close together move up.  The cover equals a brute-force reading of the
documents' analyzed text; a page, the next page and the export agree; the full-match tier stays
before the partial one; a one-word query is not touched.  Built from the sample pages: no
corpus needed."""
from __future__ import annotations

import random
import re

import numpy as np
import pytest

from indexer.analysis import ANALYZER
from indexer.build import rebuild
from indexer.ingest import Ingestor
from indexer.schema import indexed_texts
from indexer.store import IndexStore
from search import proximity
from search.engine import SearchEngine
from search.query import FIELDS
from tests.helpers import SAMPLE, write_jsonl

FILLER = ("мектеп бала ата эне үй жол тоо суу көл талаа дарыя шаар айыл бак гүл китеп дептер "
          "калем окуучу мугалим спорт оюн ыр музыка тамак нан эт сүт чай кофе аба күн").split()


def _sample_docs(n: int, seed: int) -> list[dict]:
    texts = [d.body for d in Ingestor().documents([str(SAMPLE)])]
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) > 3]
    rng = random.Random(seed)
    return [{"id": f"s{i:03d}", "title": " ".join(rng.sample(rng.choice(sentences).split(), 3)),
             "body": " ".join(rng.sample(sentences, 5))} for i in range(n)]


def _engine(tmp_path, docs) -> SearchEngine:
    store = IndexStore(tmp_path / "ix")
    assert rebuild(store, [str(write_jsonl(tmp_path / "docs.jsonl", docs))], procs=1).published
    return SearchEngine(store=store)


@pytest.fixture
def no_proximity():
    saved, proximity.WINDOW = proximity.WINDOW, 0
    yield
    proximity.WINDOW = saved


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory):
    engine = _engine(tmp_path_factory.mktemp("prox"), _sample_docs(150, 7))
    yield engine
    engine.close()


def _ids(page) -> list[str]:
    return [h["id"] for h in page["hits"]]


def test_words_together_rank_above_the_same_words_scattered(tmp_path, request):
    """Two documents of equal length with each query word once: equal BM25F; the one where the
    words stand side by side comes first (the scattered one is written first, so a tie alone
    would not put the close one ahead)."""
    rng = random.Random(3)
    filler = [rng.choice(FILLER) for _ in range(40)]
    scattered = " ".join(["коррупция"] + filler[:20] + ["прокуратура"] + filler[20:]) + "."
    close = " ".join(["коррупция", "прокуратура"] + filler) + "."
    others = [{"id": f"o{i}", "body": " ".join(rng.choice(FILLER) for _ in range(30)) + "."} for i in range(20)]
    engine = _engine(tmp_path, [{"id": "scattered", "body": scattered}, {"id": "close", "body": close}] + others)
    try:
        page = engine.search("коррупция прокуратура")
        assert _ids(page) == ["close", "scattered"]
        assert page["hits"][0]["score"] > page["hits"][1]["score"]
        request.getfixturevalue("no_proximity")
        engine.state().pages.clear()
        flat = engine.search("коррупция прокуратура")
        a, b = (h["score"] for h in flat["hits"])
        assert a == pytest.approx(b, rel=1e-9)          # without proximity: the same score
    finally:
        engine.close()


def _reference_cover(gen, words, docnum: int) -> float:
    """The cover by its definition: analyze the document's indexed text, and for every window
    of SPAN consecutive positions sum the idf shares of the words with a term in it."""
    shares = [proximity.idf(gen, w) for w in words]
    total = sum(shares)
    texts = indexed_texts(gen.reader.stored([docnum])[0])
    best = 0.0
    for fieldname in FIELDS:
        at: dict[int, set[int]] = {}
        for t in ANALYZER(texts.get(fieldname) or "", positions=True, mode="index"):
            for wi, w in enumerate(words):
                if t.text in w.terms(fieldname):
                    at.setdefault(wi, set()).add(t.pos)
        starts = sorted(p for ps in at.values() for p in ps)
        for s in starts:
            got = sum(shares[wi] for wi, ps in at.items() if any(s <= p < s + proximity.SPAN for p in ps))
            best = max(best, got / total)
    return best


@pytest.mark.parametrize("q", ["коррупция иштери боюнча", "прокуратура сот жана кылмыш", "мамлекеттик каражат",
                               "район акимчилиги айыл", "Бишкек шаары милиция кызматкери"])
def test_cover_equals_a_brute_force_reading_of_the_text(sample_engine, q):
    gen = sample_engine.state()
    plan = sample_engine.plan(q)
    words = list(plan.words)
    docnums = list(range(gen.reader.doc_count()))
    got = proximity.cover(gen, words, docnums, FIELDS)
    if len(words) < 2:
        assert not got.any()
        return
    want = [_reference_cover(gen, words, d) for d in docnums]
    assert got.tolist() == pytest.approx(want, abs=1e-9), q
    assert any(0 < x < 1 for x in want) or any(x == 1 for x in want)   # the query is met somewhere


def test_pages_and_export_agree(sample_engine):
    for q in ("коррупция иштери боюнча", "прокуратура сот кылмыш", "мамлекеттик каражат"):
        one = sample_engine.search(q, per_page=20)
        assert one["total"] >= 20 or one["partial_total"], q
        paged = _ids(sample_engine.search(q, page=1, per_page=10)) + _ids(sample_engine.search(q, page=2, per_page=10))
        assert paged == _ids(one), q
        full = [h["id"] for h in one["hits"] if not h["partial"]]
        total, rows = sample_engine.matches(q)
        exported = [r["id"] for r in rows]
        assert total == one["total"] and exported[:len(full)] == full, q


def test_the_full_match_tier_stays_first(sample_engine):
    q = "коррупция прокуратура мамлекеттик"
    page = sample_engine.search(q, per_page=50)
    flags = [h["partial"] for h in page["hits"]]
    assert True in flags and False in flags
    assert flags == sorted(flags)                    # every full match before every partial one


def test_proximity_reorders_only_within_the_window(sample_engine, request):
    """The first WINDOW of a tier are the same documents with or without proximity, in another
    order; the documents after them keep the BM25F order."""
    q = "коррупция иштери боюнча"
    window = proximity.WINDOW
    with_prox = [h["id"] for h in sample_engine.search(q, per_page=60)["hits"] if not h["partial"]]
    request.getfixturevalue("no_proximity")
    sample_engine.state().pages.clear()
    without = [h["id"] for h in sample_engine.search(q, per_page=60)["hits"] if not h["partial"]]
    assert len(without) > window and len(with_prox) == len(without)
    assert set(with_prox[:window]) == set(without[:window])
    assert with_prox[window:] == without[window:]
    assert with_prox[:window] != without[:window]     # this query's close words do move some up


def test_a_one_word_query_is_unchanged(sample_engine, request):
    before = [(h["id"], h["score"]) for h in sample_engine.search("коррупция", per_page=30)["hits"]]
    request.getfixturevalue("no_proximity")
    sample_engine.state().pages.clear()
    after = [(h["id"], h["score"]) for h in sample_engine.search("коррупция", per_page=30)["hits"]]
    assert before == after and len(before) > 1


def test_positions_of_some_documents_are_the_slice_of_the_whole_terms(tmp_path):
    """``positions_in`` (what proximity reads) gives the keys ``positions`` gives for those
    documents, on several segments, for frequent (compact) and rare (Whoosh) terms, before and
    after the whole term's keys are cached."""
    from indexer.update import update
    store = IndexStore(tmp_path / "ix")
    docs = _sample_docs(120, 11)
    assert rebuild(store, [str(write_jsonl(tmp_path / "a.jsonl", docs[:80]))], procs=2).published
    assert update(store, [str(write_jsonl(tmp_path / "b.jsonl", docs[80:]))]).published
    engine = SearchEngine(store=store)
    try:
        gen = engine.state()
        assert len(gen.reader.segments) >= 2
        rng = random.Random(5)
        terms = [t for t in gen.reader.field_terms("body") if t[:1].isalpha()]
        for text in rng.sample(terms, 60):
            for _ in range(3):
                some = np.array(sorted(rng.sample(range(gen.n), 25)), np.int64)
                fresh = gen.reader.positions_in("body", text, some).tolist()
                whole = gen.reader.positions("body", text)
                want = [k for k in whole.tolist() if (k >> 32) in set(some.tolist())]
                assert fresh == want, text
                assert gen.reader.positions_in("body", text, some).tolist() == want   # from the cached keys
    finally:
        engine.close()
