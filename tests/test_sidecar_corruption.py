"""Corrupted compact postings (indexer/sidecar.py) are never trusted: each file kind truncated or
altered — ``starts``, ``ids``, ``tf``, ``pstarts``, ``pos``, the term list in the meta file — and
the engine serves exactly the pages Whoosh's own postings give, reading the damaged field of the
segment (or only the damaged term) from Whoosh.  Built from the sample pages: no corpus needed."""
from __future__ import annotations

import json
import random
import re
import shutil
from collections import Counter

import numpy as np
import pytest

from indexer import sidecar
from indexer.build import rebuild
from indexer.ingest import Ingestor
from indexer.store import IndexStore
from search.engine import SearchEngine
from tests.helpers import SAMPLE, write_jsonl

FIELD = "body"


def _docs():
    texts = [d.body for d in Ingestor().documents([str(SAMPLE)])]
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) > 3]
    rng = random.Random(11)
    return [{"id": f"s{i:03d}", "title": " ".join(rng.sample(rng.choice(sentences).split(), 3)),
             "body": " ".join(rng.sample(sentences, 6)), "date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"}
            for i in range(160)]


def _queries(docs):
    words = Counter(w for d in docs for w in re.findall(r"[^\W\d_]{4,}", d["body"]))
    common = [w for w, _ in words.most_common(12)]
    pairs = Counter(p for d in docs for p in zip(d["body"].split(), d["body"].split()[1:])
                    if all(re.fullmatch(r"[^\W\d_]{4,}", w) for w in p))
    phrases = [f'"{a} {b}"' for (a, b), _ in pairs.most_common(4)]
    return common + [f"{a} {b}" for a, b in zip(common, common[3:])] + phrases + [f"{common[0]} -{common[1]}"]


def _pages(engine, queries):
    out = []
    for q in queries:
        page = engine.search(q, per_page=50)
        page.pop("took_ms")
        page.pop("generation")
        out.append(page)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sidecar-corruption")
    docs = _docs()
    store = IndexStore(tmp / "ix")
    assert rebuild(store, [str(write_jsonl(tmp / "docs.jsonl", docs))]).published
    queries = _queries(docs)
    slow = SearchEngine(store=store, compact=False)
    expected = _pages(slow, queries)
    slow.close()
    assert sum(p["total"] for p in expected) > 100
    path = store.path(store.current())
    backup = tmp / "intact"
    backup.mkdir()
    for f in path.glob(sidecar.PREFIX + "*"):
        shutil.copy2(f, backup / f.name)
    # the intact files: used by the queries, and not one term rejected (no false alarms)
    engine = SearchEngine(store=store)
    assert _pages(engine, queries) == expected
    assert engine.state().reader.compact_postings > 0
    (seg,) = engine.state().reader.segments
    sp = seg.compact[FIELD]
    used = [t for t, i in sp.terms.items() if sp._checked[i]]
    for term in sp.terms:   # every term checks out
        assert sp.postings(term) is not None and sp.positions(term) is not None
    assert sp.rejected == []
    # the term the queries use that has the most postings: the one to damage
    target = max(used, key=lambda t: len(sp.postings(t)[0]))
    sid = seg.reader.segment().segment_id()
    engine.close()
    return {"store": store, "path": path, "backup": backup, "queries": queries, "expected": expected,
            "target": target, "index": sp.terms[target], "sid": sid, "used": used, "terms": dict(sp.terms)}


def _file(b, kind):
    return b["path"] / sidecar.file_name(b["sid"], FIELD, kind)


def _load(b, kind):
    return np.array(np.load(_file(b, kind), allow_pickle=False))


def _save(b, kind, arr):
    with open(_file(b, kind), "wb") as fh:
        np.save(fh, arr, allow_pickle=False)


def _meta(b):
    return json.loads(_file(b, "meta").read_text(encoding="utf-8"))


def _save_meta(b, meta):
    _file(b, "meta").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _span(b, kind="starts"):
    arr = _load(b, kind)
    return int(arr[b["index"]]), int(arr[b["index"] + 1])


# -- the corruptions: (name, what it does, whether open() rejects the whole field) ---------------

def starts_truncated(b):
    _save(b, "starts", _load(b, "starts")[:-1])


def starts_end_off_by_one(b):   # what the old chained comparison let through
    s = _load(b, "starts")
    s[-1] += 1
    _save(b, "starts", s)


def starts_not_ascending(b):
    s = _load(b, "starts")
    i = b["index"] + 1
    s[i] = s[i - 1] - 1 if s[i - 1] > 0 else s[i + 1] + 1
    _save(b, "starts", s)


def starts_boundary_moved(b):   # still ascending: the term's slice takes its neighbour's posting
    s = _load(b, "starts")
    i = b["index"] + 1 if b["index"] + 2 < len(s) else b["index"]
    s[i] += 1 if i == b["index"] + 1 else -1
    _save(b, "starts", s)


def starts_wrong_dtype(b):
    _save(b, "starts", _load(b, "starts").astype(np.int32))


def ids_file_cut(b):
    f = _file(b, "ids")
    f.write_bytes(f.read_bytes()[:len(f.read_bytes()) // 2])


def ids_one_short(b):
    _save(b, "ids", _load(b, "ids")[:-1])


def ids_beyond_the_segment(b):
    ids = _load(b, "ids")
    a, e = _span(b)
    ids[e - 1] = 10_000
    _save(b, "ids", ids)


def ids_out_of_order(b):
    ids = _load(b, "ids")
    a, e = _span(b)
    ids[a], ids[a + 1] = ids[a + 1], ids[a]
    _save(b, "ids", ids)


def ids_end_changed(b):   # still ascending and in range: Whoosh's max_id tells
    ids, starts = _load(b, "ids"), _load(b, "starts")
    for term in b["used"]:   # a term the queries read whose last document is not the last one
        i = b["terms"][term]
        e = int(starts[i + 1])
        if ids[e - 1] + 1 < 160:
            ids[e - 1] += 1
            _save(b, "ids", ids)
            return term
    raise AssertionError("no term to damage")


def tf_doubled(b):
    tf = _load(b, "tf")
    a, e = _span(b)
    tf[a] *= 2
    _save(b, "tf", tf)


def tf_fraction(b):
    tf = _load(b, "tf")
    a, e = _span(b)
    tf[a] = 0.5
    _save(b, "tf", tf)


def tf_moved(b):   # the same total for the term, other documents' counts: positions tell
    tf = _load(b, "tf")
    a, e = _span(b)
    j = next(k for k in range(a, e) if tf[k] > 1)
    k = a if j != a else a + 1
    tf[j] -= 1
    tf[k] += 1
    _save(b, "tf", tf)


def tf_file_garbage(b):
    _file(b, "tf").write_bytes(b"\x93NUMPY garbage")


def pos_truncated(b):
    _save(b, "pos", _load(b, "pos")[:-3])


def pos_reversed_in_a_document(b):
    pos, tf = _load(b, "pos"), _load(b, "tf")
    a, e = _span(b)
    j = next(k for k in range(a, e) if tf[k] > 1)
    pa, _ = _span(b, "pstarts")
    first = pa + int(tf[a:j].sum())
    pos[first], pos[first + 1] = pos[first + 1], pos[first]
    _save(b, "pos", pos)


def pstarts_shifted(b):
    p = _load(b, "pstarts")
    p[b["index"] + 1] += 1
    _save(b, "pstarts", p)


def terms_swapped(b):
    meta = _meta(b)
    terms = meta["terms"]
    i = b["index"]
    j = i + 1 if i + 1 < len(terms) else i - 1
    terms[i], terms[j] = terms[j], terms[i]
    _save_meta(b, meta)


def terms_swapped_no_digest(b):   # a meta file without the digest: Whoosh's statistics tell
    meta = _meta(b)
    del meta["terms_sha256"]
    terms = meta["terms"]
    starts = _load(b, "starts")
    i = b["index"]
    df = int(starts[i + 1] - starts[i])
    j = next(k for k in range(len(terms)) if int(starts[k + 1] - starts[k]) != df)
    terms[i], terms[j] = terms[j], terms[i]
    _save_meta(b, meta)


def terms_one_short(b):
    meta = _meta(b)
    meta["terms"].pop()
    meta["terms_sha256"] = sidecar.terms_digest(meta["terms"])
    _save_meta(b, meta)


def terms_renamed(b):
    meta = _meta(b)
    meta["terms"][b["index"]] += "x"
    _save_meta(b, meta)


def meta_not_json(b):
    _file(b, "meta").write_bytes(b'{"version": 1, "terms": ["\xff')


def meta_a_list(b):
    _file(b, "meta").write_text("[1, 2, 3]")


CASES = [  # (corruption, open() rejects the field's files)
    (starts_truncated, True), (starts_end_off_by_one, True), (starts_not_ascending, True),
    (starts_boundary_moved, False), (starts_wrong_dtype, True),
    (ids_file_cut, True), (ids_one_short, True), (ids_beyond_the_segment, False),
    (ids_out_of_order, False), (ids_end_changed, False),
    (tf_doubled, False), (tf_fraction, False), (tf_moved, False), (tf_file_garbage, True),
    (pos_truncated, True), (pos_reversed_in_a_document, False), (pstarts_shifted, False),
    (terms_swapped, True), (terms_swapped_no_digest, False), (terms_one_short, True),
    (terms_renamed, True), (meta_not_json, True), (meta_a_list, True),
]


@pytest.mark.parametrize("corrupt, whole_field", CASES, ids=[c.__name__ for c, _ in CASES])
def test_corrupted_compact_postings_fall_back_to_whoosh(built, corrupt, whole_field):
    for f in built["backup"].iterdir():
        shutil.copy2(f, built["path"] / f.name)
    damaged = corrupt(built) or built["target"]
    engine = SearchEngine(store=built["store"])
    try:
        assert _pages(engine, built["queries"]) == built["expected"]
        (seg,) = engine.state().reader.segments
        sp = seg.compact.get(FIELD)
        if whole_field:
            assert sp is None   # the field of this segment is read from Whoosh
        else:
            assert sp is not None and damaged in sp.rejected, (sp and sp.rejected)
            assert seg.compact.get("title") is not None   # the other field still compact
    finally:
        engine.close()
        for f in built["backup"].iterdir():
            shutil.copy2(f, built["path"] / f.name)


def test_old_chained_check_would_have_accepted_the_bad_starts(built):
    """The regression itself: ``starts[-1]`` off while ``ids`` and ``tf`` agree."""
    starts_end_off_by_one(built)
    try:
        assert sidecar.SegmentPostings.open(built["path"], built["sid"], FIELD, 160) is None
        s, ids, tf = _load(built, "starts"), _load(built, "ids"), _load(built, "tf")
        assert not (int(s[-1]) != len(ids) != len(tf))   # the old condition: no alarm
    finally:
        for f in built["backup"].iterdir():
            shutil.copy2(f, built["path"] / f.name)
