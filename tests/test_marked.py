"""The marked postings (indexer/marked.py): each word's exact-form and prefix terms, kept beside
Whoosh's segments.  What indexing counts equals the definition (the marked terms of the words at
each position, once a position); every segment of every generation — rebuilt, added to, with
deletions, merged, optimized — holds exactly what its documents' stored text gives; Whoosh
holds none of them; damaged files are never trusted.  Built from the sample pages: no corpus
needed, except the corpus-wide identity."""
from __future__ import annotations

import json
import random
import re
from collections import Counter

import numpy as np
import pytest

from indexer import marked, sidecar
from indexer.analysis import ANALYZER, is_marked, marked_counts, marked_terms
from indexer.build import rebuild
from indexer.fields import TEXT_FIELD_NAMES
from indexer.ingest import Ingestor
from indexer.schema import indexed_texts
from indexer.segfiles import file_name
from indexer.store import IndexStore
from indexer.update import optimize, update
from search import proximity
from search.engine import SearchEngine
from tests.helpers import CORPUS, SAMPLE, require_corpus, run_cli, write_jsonl


def by_definition(text: str) -> Counter:
    """The marked terms of the surfaces at each position of the index analysis, once a position."""
    at: dict[int, list[str]] = {}
    for t in ANALYZER(text, positions=True, mode="index"):
        reps = at.setdefault(t.pos, [])
        reps.extend(r for r in marked_terms(t.surface) if r not in reps)
    return Counter(r for reps in at.values() for r in reps)


TRICKY = ["Ысык-Көл облусунда 2025-жылдын 9-декабрында", "ай-ай-ай УКМК-нын ИИМдин", "-- a-b-c -x- 10-да",
          "Кара-Суу-Кара-Суу Жалал-Абад жана Жалал-Абадда", "коррупцияга каршы ҢӨҮ ңөү ё Ё", ""]


def test_marked_counts_are_the_definition_on_the_sample_and_tricky_text():
    texts = [d.body for d in Ingestor().documents([str(SAMPLE)])] + TRICKY
    assert len(texts) == len(TRICKY) + 2      # the two sample pages
    for text in texts:
        assert marked_counts(text) == dict(by_definition(text)), text[:80]


@pytest.mark.corpus(CORPUS)
def test_marked_counts_are_the_definition_on_the_corpus():
    for line in require_corpus().read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        for text in (doc.get("title") or "", doc.get("body") or ""):
            assert marked_counts(text) == dict(by_definition(text)), doc.get("id")


def _docs(n: int, seed: int, prefix: str):
    texts = [d.body for d in Ingestor().documents([str(SAMPLE)])]
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) > 3]
    rng = random.Random(seed)
    return [{"id": f"{prefix}{i:03d}", "title": " ".join(rng.sample(rng.choice(sentences).split(), 3)),
             "body": " ".join(rng.sample(sentences, 5)), "date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"}
            for i in range(n)]


def check_generation(store: IndexStore) -> int:
    """Every segment of the served generation has marked postings equal to its stored text's
    counts (deleted documents included), and Whoosh's lexicon holds no marked term; the number of
    segments."""
    engine = SearchEngine(store=store)
    try:
        gen = engine.state().reader
        path = store.path(store.current())
        for seg in gen.segments:
            expect: dict[str, dict[str, list]] = {f: {} for f in TEXT_FIELD_NAMES}
            for local in range(seg.doc_count):
                for f, text in indexed_texts(seg.reader.stored_fields(local)).items():
                    for term, n in marked_counts(text).items():
                        expect[f].setdefault(term, []).append((local, n))
            for f in TEXT_FIELD_NAMES:              # the lead's too (read again from the body)
                store_ = seg.marked[f]                 # present and valid
                assert set(store_.terms) == set(expect[f])
                for term, rows in expect[f].items():
                    ids, tf = store_.postings(term)
                    assert list(zip(ids.tolist(), tf.tolist())) == rows, (f, term)
                assert store_.rejected == []
                assert not [t for t, _ in seg.reader.iter_field(f) if is_marked(t.decode() if isinstance(t, bytes) else t)]
        live = {seg.reader.segment().segment_id() for seg in gen.segments}
        files = {p.name[len(marked.PREFIX):].split(".", 1)[0] for p in path.iterdir()
                 if p.name.startswith(marked.PREFIX)}
        assert files == live                      # none left of segments merged away
        return len(gen.segments)
    finally:
        engine.close()


def test_every_generation_holds_its_documents_marked_postings(tmp_path):
    store = IndexStore(tmp_path / "ix")
    first = _docs(120, 1, "a")
    assert rebuild(store, [str(write_jsonl(tmp_path / "a.jsonl", first))], procs=2).published
    assert check_generation(store) == 2                      # two processes, two segments
    base = store.path(store.current())
    # add with updates and deletions: a new segment; the old ones keep their (hard-linked) files
    changed = [{**d, "body": d["body"] + " Коррупцияга каршы күрөш уланууда."} for d in first[:10]]
    assert update(store, [str(write_jsonl(tmp_path / "b.jsonl", _docs(30, 2, "b") + changed))],
                  delete_ids=[d["id"] for d in first[10:20]]).published
    assert check_generation(store) >= 1
    path = store.path(store.current())
    kept = [p for p in base.iterdir() if p.name.startswith(marked.PREFIX) and (path / p.name).exists()]
    assert kept and all((path / p.name).stat().st_ino == p.stat().st_ino for p in kept)
    engine = SearchEngine(store=store)
    assert engine.search("коррупцияга")["total"] >= 10
    engine.close()
    # optimize: one merged segment without the deleted documents, its marked postings anew
    assert optimize(store).published
    assert check_generation(store) == 1


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("marked")
    store = IndexStore(tmp / "ix")
    assert rebuild(store, [str(write_jsonl(tmp / "docs.jsonl", _docs(80, 3, "c")))], procs=1).published
    return store


def _field_files(store, fieldname="body"):
    path = store.path(store.current())
    engine = SearchEngine(store=store)
    (seg,) = engine.state().reader.segments
    sid = seg.reader.segment().segment_id()
    engine.close()
    return path, sid, {k: path / file_name(sid, fieldname, k, marked.PREFIX) for k in ("meta", *marked.KINDS)}


def _scores(store, q):
    """(total, {id: BM25F score}) of a query's first 100 hits (no proximity bonus: the scores
    compared are the terms' own)."""
    engine = SearchEngine(store=store)
    saved, proximity.WINDOW = proximity.WINDOW, 0
    try:
        page = engine.search(q, per_page=100)
        return page["total"], {h["id"]: h["score"] for h in page["hits"]}
    finally:
        proximity.WINDOW = saved
        engine.close()


@pytest.mark.parametrize("damage", ["version", "analyzer", "terms", "doc_count", "starts", "ids-truncated", "missing"])
def test_damaged_files_are_not_trusted(built, damage, tmp_path):
    """A damaged field file set is ignored: the segment's documents score without its marked
    terms, the counts are unchanged (they never depend on marked terms), nothing fails."""
    path, sid, files = _field_files(built)
    saved = {k: f.read_bytes() for k, f in files.items()}
    total, hits = _scores(built, "коррупцияга каршы")
    assert 0 < total <= len(hits) < 100      # every match on the page (partial ones too)
    try:
        meta = json.loads(saved["meta"])
        if damage in ("version", "analyzer", "doc_count"):
            meta[{"version": "version", "analyzer": "analyzer", "doc_count": "doc_count"}[damage]] = \
                {"version": 99, "analyzer": "ky-0", "doc_count": 1}[damage]
            files["meta"].write_text(json.dumps(meta), encoding="utf-8")
        elif damage == "terms":
            meta["terms"] = meta["terms"][::-1]
            files["meta"].write_text(json.dumps(meta), encoding="utf-8")
        elif damage == "starts":
            starts = np.load(files["starts"])
            starts[1:] = starts[1:][::-1]
            np.save(files["starts"], starts)
        elif damage == "ids-truncated":
            np.save(files["ids"], np.load(files["ids"])[:-3])
        else:
            files["ids"].unlink()
        assert marked.MarkedPostings.open(path, sid, "body", 80) is None
        if damage == "missing":          # the admin is told, by `kgsearch stats`
            stats = run_cli("stats", "--index", str(built.root))
            assert stats.returncode == 0 and "1 of 1 segment(s) rank by stems alone" in stats.stdout, stats.stdout
            assert json.loads(run_cli("stats", "--index", str(built.root), "--json").stdout)["marked_segments"] == [0, 1]
        total2, hits2 = _scores(built, "коррупцияга каршы")
        assert total2 == total and set(hits2) == set(hits)
        # without the body's exact-form and prefix terms every hit scores less or the same, some less
        assert all(hits2[h] <= hits[h] + 1e-12 for h in hits) and any(hits2[h] < hits[h] - 1e-9 for h in hits)
    finally:
        for k, f in files.items():
            f.write_bytes(saved[k])
    assert _scores(built, "коррупцияга каршы") == (total, hits)
    stats = run_cli("stats", "--index", str(built.root), "--json")
    assert json.loads(stats.stdout)["marked_segments"] == [1, 1]


def test_a_bad_term_slice_is_rejected_alone(built):
    path, sid, files = _field_files(built)
    saved = files["ids"].read_bytes()
    try:
        store = marked.MarkedPostings.open(path, sid, "body", 80)
        term = max(store.terms, key=lambda t: store.doc_frequency(t))
        i = store.terms[term]
        ids = np.load(files["ids"])
        a, b = int(store.starts[i]), int(store.starts[i + 1])
        ids[a:b] = ids[a:b][::-1]                       # no longer ascending
        np.save(files["ids"], ids)
        damaged = marked.MarkedPostings.open(path, sid, "body", 80)
        assert damaged is not None and damaged.postings(term) is None and damaged.rejected == [term]
        other = next(t for t in store.terms if t != term)
        assert damaged.postings(other) is not None
    finally:
        files["ids"].write_bytes(saved)


def test_marked_terms_score_as_bm25f_of_their_counts(built):
    """A typed word's exact-form term adds what BM25F gives its count in each document, with
    Whoosh's statistics (idf from the marked postings' document frequency)."""
    engine = SearchEngine(store=built)
    try:
        gen = engine.state().reader
        p = gen.term("body", "=коррупцияга")
        assert len(p.ids)
        s = gen.searcher
        import math
        n, avgfl = s.doc_count_all(), s.avg_field_length("body")
        idf = math.log(n / (len(p.ids) + 1)) + 1
        for d, c in zip(p.ids.tolist(), p.contrib.tolist()):
            tf = marked_counts(indexed_texts(s.stored_fields(d))["body"])["=коррупцияга"]
            dl = s.doc_field_length(d, "body")
            assert c == pytest.approx(idf * (tf * 2.2) / (tf + 1.2 * (0.25 + 0.75 * dl / avgfl)), rel=1e-12)
    finally:
        engine.close()
