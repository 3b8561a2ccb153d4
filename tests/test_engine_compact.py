"""The compact postings (indexer/sidecar.py): written for every segment before a generation is
published, equal to Whoosh's postings term by term, kept in step by add/delete/optimize, and
only ever an accelerator — pages read through them are the pages read from Whoosh alone, and a
generation whose files are missing or do not check out is served from Whoosh."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_
from whoosh import index as whoosh_index
from whoosh.formats import Positions

import search.backend.whoosh_terms as terms_mod
from search import ranking
from indexer import sidecar
from indexer.build import rebuild
from indexer.store import IndexStore
from indexer.update import optimize, update
from search.engine import SearchEngine
from search.filters import make_filters
from tests import helpers
from tests.helpers import CORPUS, write_jsonl

QUERIES = [
    ("Бишкек", {}), ("Жогорку Кеңеш", {}), ('"Жогорку Кеңеш"', {}), ('"Кыргыз Республикасынын"', {}),
    ("айыл чарба министрлиги", {}), ('"ички иштер министрлиги"', {}), ("президент шайлоо", {}),
    ("Жогорку Кенеш", {}), ('"Бишкек шаарынын"', {}), ("коррупция -сот", {}), ("мини*", {}),
    ("title:президент", {}), ("сот OR прокуратура", {}), ("коррупция", {"sort": "newest"}),
    ("коррупция", {"page": 2}), ("", {"sort": "oldest"}), ("мамлекеттик", {"oblast": "Чүй облусу"}),
    ("өкмөт", {"date_from": "2010", "date_to": "2026"}),
]


def _pages(engine):
    out = []
    for q, opts in QUERIES:
        filters = make_filters(opts.get("date_from"), opts.get("date_to"),
                               oblasts=[opts["oblast"]] if opts.get("oblast") else None)
        page = engine.search(q, page=opts.get("page", 1), filters=filters, sort=opts.get("sort"))
        page.pop("took_ms")
        page.pop("generation")
        out.append(page)
    return out


def _generation(store: IndexStore):
    return store.path(store.current())


def test_compact_files_for_every_segment_and_equal_to_whooshs_postings(corpus_store):
    path = _generation(corpus_store)
    ix = whoosh_index.open_dir(str(path))
    reader = ix.reader()
    leaves = reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]
    checked = 0
    rng = random.Random(3)
    for leaf, _ in leaves:
        sid = leaf.segment().segment_id()
        for fieldname in ("title", "body"):
            sp = sidecar.SegmentPostings.open(path, sid, fieldname, leaf.doc_count_all())
            assert sp is not None, (sid, fieldname)
            terms = list(sp.terms)
            frequent = [t for t, info in ((leaf.schema[fieldname].from_bytes(b), i)
                                          for b, i in leaf.iter_field(fieldname))
                        if info.doc_frequency() >= sidecar.MIN_DF]
            assert terms == frequent            # every frequent term, in the index's order
            for term in rng.sample(terms, min(60, len(terms))) + terms[:5]:
                ids, tf = sp.postings(term)
                m = leaf.postings(fieldname, term)
                want_ids, want_tf, want_pos = [], [], []
                while m.is_active():
                    want_ids.append(m.id())
                    want_tf.append(m.weight())
                    want_pos.extend(Positions().decode_positions(m.value()))
                    m.next()
                assert ids.tolist() == want_ids and tf.tolist() == want_tf, term
                assert sp.positions(term).tolist() == want_pos, term
                checked += 1
    reader.close()
    ix.close()
    assert checked >= 60          # (the 24.kg articles have no titles: the body gives them)


def test_pages_with_compact_postings_are_the_pages_from_whoosh_alone(corpus_engine):
    fast = SearchEngine(store=corpus_engine.store)
    slow = SearchEngine(store=corpus_engine.store, compact=False)
    pages = _pages(fast)
    assert pages == _pages(slow)
    assert fast.state().reader.compact_postings > 1_000       # the fast engine did read them
    assert slow.state().reader.compact_postings == 0
    assert sum(p["total"] for p in pages) > 1000
    fast.close()
    slow.close()


def test_missing_or_broken_compact_files_fall_back_to_whoosh(tmp_path, corpus_engine):
    store = IndexStore(tmp_path / "ix")
    assert rebuild(store, [str(CORPUS)]).published
    expected = _pages(SearchEngine(store=corpus_engine.store, compact=False))
    path = _generation(store)
    metas = sorted(path.glob(sidecar.PREFIX + "*.json"))
    assert metas
    # a meta file naming another document count, a truncated array, a missing array
    meta = json.loads(metas[0].read_text(encoding="utf-8"))
    meta["doc_count"] += 1
    metas[0].write_text(json.dumps(meta), encoding="utf-8")
    if len(metas) > 1:
        ids = metas[1].with_name(metas[1].name.replace(".meta.json", ".ids.npy"))
        ids.write_bytes(ids.read_bytes()[:200])
    for f in path.glob(sidecar.PREFIX + "*.pos.npy"):
        f.unlink()
        break
    engine = SearchEngine(store=store)
    assert _pages(engine) == expected
    engine.close()
    # and with every file gone
    for f in path.glob(sidecar.PREFIX + "*"):
        f.unlink()
    engine = SearchEngine(store=store)
    assert _pages(engine) == expected
    assert engine.state().reader.compact_postings == 0
    engine.close()


def _docs(n, start=0):
    words = ["коррупция", "сот", "прокуратура", "айыл", "өкмөт", "район", "акимчилик", "депутат"]
    rng = random.Random(start)
    return [{"id": f"c{i}", "title": f"Кабар {i} {rng.choice(words)}",
             "body": " ".join(rng.choice(words) for _ in range(30)) + f". Бишкек шаары {i}.",
             "date": f"2024-0{1 + i % 9}-1{i % 10}"} for i in range(start, start + n)]


def test_add_delete_optimize_keep_compact_postings_in_step(tmp_path):
    store = IndexStore(tmp_path / "ix")
    assert rebuild(store, [str(write_jsonl(tmp_path / "a.jsonl", _docs(40)))]).published
    # what a writer killed half-way would leave: linked into the next generation, then removed
    (_generation(store) / (sidecar.PREFIX + "MAIN_gone.body.meta.json.tmp")).write_text("{")
    assert update(store, [str(write_jsonl(tmp_path / "b.jsonl", _docs(30, start=40)))]).published
    assert not list(_generation(store).glob("*.tmp"))
    assert update(store, [], delete_ids=["c1", "c2", "c45"]).published
    path = _generation(store)
    ix = whoosh_index.open_dir(str(path))
    segments = {s.segment_id() for s in ix._segments()}
    ix.close()
    assert len(segments) >= 2
    on_disk = {f.name[len(sidecar.PREFIX):].split(".")[0] for f in path.glob(sidecar.PREFIX + "*.json")}
    assert on_disk == segments
    fast, slow = SearchEngine(store=store), SearchEngine(store=store, compact=False)
    for q in ("коррупция", "сот прокуратура", '"Бишкек шаары"', "айыл -район", ""):
        a, b = fast.search(q, per_page=50), slow.search(q, per_page=50)
        a.pop("took_ms"), b.pop("took_ms")
        assert a == b, q
    assert fast.search("коррупция")["total"] == slow.search("коррупция")["total"] > 0
    assert fast.state().reader.compact_postings > 0
    # optimize: one new segment, its compact files written, the old ones gone from the generation
    assert optimize(store).published
    path = _generation(store)
    ix = whoosh_index.open_dir(str(path))
    (only,) = [s.segment_id() for s in ix._segments()]
    ix.close()
    names = {f.name[len(sidecar.PREFIX):].split(".")[0] for f in path.glob(sidecar.PREFIX + "*")}
    assert names == {only}
    assert SearchEngine(store=store).search('"Бишкек шаары"')["total"] == 67


def test_term_cache_is_bounded_and_pages_do_not_change(corpus_engine, monkeypatch):
    monkeypatch.setattr(terms_mod, "TERM_CACHE_POSTINGS", 3_000)
    small = SearchEngine(store=corpus_engine.store)
    pages = _pages(small)
    cache = small.state().reader.terms.cache
    biggest = max(t.weight() for t in cache.values())
    assert cache.size <= max(3_000, biggest)
    assert cache.size == sum(t.weight() for t in cache.values()) == sum(cache.weights().values())
    monkeypatch.setattr(terms_mod, "TERM_CACHE_POSTINGS", 10_000_000)
    assert pages == _pages(SearchEngine(store=corpus_engine.store))
    small.close()


@settings(max_examples=200, deadline=None)
@given(st_.lists(st_.lists(st_.integers(0, 2**31), max_size=12, unique=True).map(sorted), max_size=40))
def test_batched_position_decoding_is_whooshs(lists):
    fmt = Positions()
    values = [fmt.encode(ps) for ps in lists]
    pos, counts = sidecar.decode_positions_many(values)
    assert counts.tolist() == [len(ps) for ps in lists]
    assert pos.tolist() == [p for v in values for p in fmt.decode_positions(v)]
    assert pos.dtype == np.uint32


def test_word_rankings_are_whooshs_with_ties_across_segments(tmp_path, corpus_engine, monkeypatch):
    """Scores summed from the term arrays order documents as Whoosh does, also where they tie:
    the same articles indexed twice, in two segments, and word queries of 1–3 words (their unit
    nodes and their scoring nodes, with the exact-form and prefix terms, which Whoosh does not
    hold: those are checked against BM25F over counts taken afresh from the stored text,
    ``helpers.reference_ranking``).  A document and its copy (the same contribution from every
    term) are never both rescored; with every pair of scores counted as a near tie (NEAR_TIE = 1),
    one document per distinct contribution vector is rescored and the order is still the
    reference's."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:300]
    docs = [json.loads(line) for line in lines]
    docs = [d for d in docs if (d.get("body") or "").strip()]
    copies = [{**d, "id": f"copy-{d['id']}"} for d in docs[:120]]
    store = IndexStore(tmp_path / "ix")
    assert rebuild(store, [str(write_jsonl(tmp_path / "a.jsonl", docs))]).published
    assert update(store, [str(write_jsonl(tmp_path / "b.jsonl", copies))]).published
    engine = SearchEngine(store=store)
    reader = engine.state().reader
    assert len(reader.segments) == 2
    ids = {d: f["id"] for d, f in enumerate(reader.stored(range(reader.n)))}
    rescored: list[list[int]] = []
    exact_scores = reader.exact_scores

    def spy(node, candidates, gates):
        rescored.append(list(candidates))
        return exact_scores(node, candidates, gates)

    monkeypatch.setattr(reader, "exact_scores", spy)
    compared = 0
    for near_tie in (ranking.NEAR_TIE, 1.0):
        monkeypatch.setattr(ranking, "NEAR_TIE", near_tie)
        compared += _compare_rankings_with_whoosh(engine)
        for cands in rescored:
            names = [ids[d] for d in cands]
            assert not {n for n in names if f"copy-{n}" in names}, near_tie
    assert rescored                       # NEAR_TIE = 1: near ties everywhere, rescored
    assert compared >= 60
    engine.close()


def _compare_rankings_with_whoosh(engine) -> int:
    compared = 0
    for q in ("Бишкек", "президент", "сот иши", "айыл чарба министрлиги", "Жогорку Кенеш депутаттары",
              "мамлекеттик кызмат", "коррупция", "шайлоо комиссиясы",
              "ЖК", "УКМК кызматкерлери"):     # expansions: phrases among a word's readings
        for query in (*helpers.wanted(engine, q), engine.plan(q).scoring):
            if query is None:
                continue
            mask = helpers.docs(engine, query)
            docs_set = helpers.ids(mask)
            if not docs_set:
                continue
            everything = helpers.reference_ranking(engine, query, docs_set)
            for limit in (1, 10, 40):
                ours = helpers.top(engine, query, mask, limit)
                # Whoosh's whole ranking, cut: asked for limit=1 itself, Whoosh returns a
                # second-best document for 'Жогорку Кенеш депутаттары' (all words) on this index
                theirs = everything[:limit]
                assert [d for d, _ in ours] == [d for d, _ in theirs], (q, limit)
                assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-12)
                compared += 1
    return compared


@pytest.mark.parametrize("q", ["президент", "Бишкек шаары", "ЖК депутаттары", "айыл чарба министрлиги"])
def test_a_words_readings_score_alike_read_back_sparse_or_dense(corpus_engine, monkeypatch, q):
    """A ``Best`` node's largest reading is read back over its readings' own docnums when they
    are rare and in two passes over every document when they are frequent (search/ranking.py
    ``SPARSE_SHARE``): both give the same scores, and the order of the reference."""
    gen = corpus_engine.state()
    node = corpus_engine.plan(q).scoring
    arrays = []
    for share in (0, 10 ** 9):                   # every node sparse / every node dense
        monkeypatch.setattr(ranking, "SPARSE_SHARE", share)
        arrays.append(ranking.score_array(gen, *_scoring_inputs(gen, node)))
    assert np.count_nonzero(arrays[0]) > 10
    assert arrays[0] == pytest.approx(arrays[1], rel=1e-12, abs=0)
    docs_set = set(np.flatnonzero(arrays[0]).tolist())
    reference = helpers.reference_ranking(corpus_engine, node, docs_set)
    ours = ranking.top(gen, node, gen.mask(sorted(docs_set)), 20)
    assert [d for d, _ in ours] == [d for d, _ in reference[:20]]


def _scoring_inputs(gen, node):
    from search.docsets import docs as node_docs
    from search.plan import best_groups, scoring_terms
    terms = scoring_terms(node)
    gates = {g: node_docs(gen, g) for g, *_ in terms if g is not None}
    return terms, gates, best_groups(node)
