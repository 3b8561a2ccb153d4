"""One engine shared by many threads (waitress serves each request on its own thread): the
results of a mixed workload hammered from several threads are exactly the results of the same
workload run alone, and a search in progress does not keep a stats call waiting."""
from __future__ import annotations

import random
import sys
import threading
import time

import pytest

from search import heavy as heavy_lane
from search.engine import SearchEngine
from search.filters import make_filters

QUERIES = [
    "коррупция", "коррупция сот", "пара алуу", "Тоң районунда", '"Жогорку Кеңеш"', "Жогорку Кенеш",
    "корруп*", "ка* ко* ба* са*", "сот OR прокуратура", "коррупция -сот", "title:президент",
    "министрлиги", "ички иштер", "айыл чарба министрлиги", "шайлоо", "Бишкек шаары", "...", "",
]
FILTERS = [make_filters(), make_filters(date_from="2020"), make_filters(oblasts=["Бишкек шаары"])]


def _work(seed: int):
    rng = random.Random(seed)
    jobs = [("search", q, f, s, p) for q in QUERIES for f in FILTERS
            for s in ("relevance", "newest") for p in (1, 2)]
    jobs += [("doc", q, None, None, None) for q in QUERIES[:6]]
    jobs += [("stats", None, None, None, None)] * 6
    rng.shuffle(jobs)
    return jobs


def _run(engine: SearchEngine, job, doc_ids):
    kind, q, filters, sort, page = job
    if kind == "search":
        r = dict(engine.search(q, page=page, per_page=10, filters=filters, sort=sort))
        r.pop("took_ms")
        return r
    if kind == "doc":
        return [engine.document(d, q) for d in doc_ids]
    return engine.stats()


@pytest.mark.parametrize("compact", [True, False])
def test_threads_get_what_one_thread_gets(corpus_store, compact, monkeypatch):
    # every thread may wait for the broad-prefix lane here (refusing the overflow is tested below)
    monkeypatch.setattr(heavy_lane, "HEAVY_WAITING", 64)
    doc_ids = [h["id"] for h in SearchEngine(store=corpus_store).search("коррупция", per_page=5)["hits"]]
    alone = SearchEngine(store=corpus_store, compact=compact)
    expected = {job: _run(alone, job, doc_ids) for job in _work(0)}
    alone.close()

    shared = SearchEngine(store=corpus_store, compact=compact)   # cold caches: threads race to fill them
    errors, got = [], {}

    def worker(seed):
        try:
            for job in _work(seed):
                got.setdefault(job, []).append(_run(shared, job, doc_ids))
        except Exception as exc:                                   # noqa: BLE001 — reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(1, 7)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)                # switch threads often: races show up
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors
    assert set(got) == set(expected)
    assert sum(map(len, got.values())) == 6 * len(_work(0))
    for job, results in got.items():
        for r in results:
            assert r == expected[job], job
    shared.close()


def test_a_search_in_progress_does_not_block_stats(corpus_store, monkeypatch):
    """While one thread is inside a search (held there on purpose), stats answers."""
    engine = SearchEngine(store=corpus_store)
    engine.search("коррупция")
    inside, release = threading.Event(), threading.Event()
    real = engine._search

    def slow(*args, **kw):
        inside.set()
        release.wait(10)
        return real(*args, **kw)

    monkeypatch.setattr(engine, "_search", slow)
    t = threading.Thread(target=engine.search, args=("сот жана прокуратура",))
    t.start()
    try:
        assert inside.wait(10)
        started = time.perf_counter()
        assert engine.stats()["documents"] > 1000
        engine.document(engine.search("коррупция")["hits"][0]["id"])   # cached page, then a doc
        waited = time.perf_counter() - started
    finally:
        release.set()
        t.join()
    assert waited < 5, waited      # not the 10 s the search thread is held for
    engine.close()


def test_a_too_broad_prefix_is_cut_and_said(corpus_engine):
    """The cost bound: two-letter prefixes stand for many words; each is cut to its most frequent
    ones within the query's budget, with a note naming the prefix (the time is not asserted)."""
    from search import engine as engine_mod
    heavy = " ".join(p + "*" for p in "ка ко ки ку ба бо са со та то ма мо жа жо".split())
    r = corpus_engine.search(heavy)
    cut = [n for n in r["notes"] if n["kind"] == "prefix_too_broad"]
    assert {n["prefix"] for n in cut} >= {"ка", "ба", "са"}
    assert all(n["used"] < n["terms"] for n in cut)
    assert sum(n["used"] for n in cut) <= engine_mod.QUERY_TERMS
    assert r["total"] > 0 and r["hits"]
    # a narrow prefix is searched whole, without a note
    narrow = corpus_engine.search("коррупц*")
    assert narrow["total"] > 0 and not narrow["notes"]


HEAVY = " ".join(p + "*" for p in "ка ко ки ку ба бо са со та то ма мо жа жо".split())


def test_broad_queries_wait_in_one_lane_and_the_overflow_is_refused(corpus_store, monkeypatch):
    """Pages of queries cut by the cost bound are served one at a time; when HEAVY_WAITING
    requests wait already, the next one is refused at once (``Busy``, a 429 on the web), and a
    plain query never waits for the lane."""
    from search import engine as engine_mod
    monkeypatch.setattr(heavy_lane, "HEAVY_WAITING", 1)
    engine = SearchEngine(store=corpus_store)
    engine.search(HEAVY)                                  # planned and cached: cut
    engine._heavy.lock.acquire()                               # the lane is busy
    done = []
    t = threading.Thread(target=lambda: done.append(engine.search(HEAVY, page=2)))
    try:
        t.start()
        deadline = time.monotonic() + 10
        while engine._heavy.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine._heavy.waiting == 1
        with pytest.raises(engine_mod.Busy):
            engine.search(HEAVY, page=3)
        assert engine.search("коррупция")["total"] > 0    # other queries do not queue
        assert not done
    finally:
        engine._heavy.lock.release()
        t.join(10)
    assert done and done[0]["hits"]                       # the waiting one was served
    assert engine._heavy.waiting == 0
    engine.close()


def test_cached_pages_of_a_broad_query_are_rate_limited(corpus_store, monkeypatch):
    """A cached page of a cut query still goes through the lane: at most HEAVY_RATE a second, so
    repeating one URL cannot take the server's time either."""
    monkeypatch.setattr(heavy_lane, "HEAVY_RATE", 4.0)     # at least 250 ms from one to the next
    engine = SearchEngine(store=corpus_store)
    engine.search(HEAVY)
    started = time.perf_counter()
    for _ in range(3):
        engine.search(HEAVY)                              # the page cache answers
    assert time.perf_counter() - started >= 0.5           # two pauses of 250 ms at least
    started = time.perf_counter()
    for _ in range(3):
        engine.search("коррупция")
    assert time.perf_counter() - started < 0.5
    engine.close()


@pytest.mark.parametrize("path", ["/api/search", "/"])
def test_a_refused_broad_query_is_a_429_with_retry_after(corpus_store, monkeypatch, path):
    from web import create_app
    monkeypatch.setattr(heavy_lane, "HEAVY_WAITING", 0)   # nobody may wait: a busy lane refuses
    engine = SearchEngine(store=corpus_store)
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    engine._heavy.lock.acquire()
    try:
        r = client.get(path, query_string={"q": HEAVY}, headers={"Accept-Language": "ru"})
    finally:
        engine._heavy.lock.release()
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "префикс" in text  # the message, in the page's language
    assert client.get(path, query_string={"q": HEAVY}).status_code == 200   # the lane is free again
    engine.close()
