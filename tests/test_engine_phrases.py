"""The engine's own phrase path (doc-set intersection, position keys of the candidates, ranking by
exact rescoring), with the compact postings and without, against plain Whoosh on the 24.kg corpus: same documents, same scores, same order."""
from __future__ import annotations

import json
import random
import re

import pytest

from indexer.analysis import fold, has_kyrgyz_letters
from tests import helpers
from tests.helpers import CORPUS, build_index, require_corpus

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def _phrases(n_plain=24, n_hyphen=10, n_folded=12, seed=7):
    require_corpus()
    rng = random.Random(seed)
    bodies = [json.loads(line).get("body") or "" for line in CORPUS.open(encoding="utf-8")]
    rng.shuffle(bodies)
    plain, hyphen, folded = [], [], []
    for body in bodies:
        words = WORD.findall(body)
        if len(words) < 4:
            continue
        i = rng.randrange(len(words) - 3)
        size = rng.choice((2, 2, 3))
        chunk = words[i:i + size]
        text = " ".join(chunk)
        if len(plain) < n_plain:
            plain.append(text)
        hy = [j for j, w in enumerate(words) if "-" in w and j + 1 < len(words)]
        if hy and len(hyphen) < n_hyphen:
            j = rng.choice(hy)
            hyphen.append(" ".join(words[max(0, j - 1):j + 2]))
        if len(folded) < n_folded and has_kyrgyz_letters(text):
            folded.append(fold(text))
        if len(plain) >= n_plain and len(hyphen) >= n_hyphen and len(folded) >= n_folded:
            break
    # a few common ones with many candidates, and one that matches nothing
    extra = ["Жогорку Кеңеш", "Жогорку Кенеш", "Бишкек шаарынын", "ички иштер министрлиги",
             "премьер-министр", "Кыргыз Республикасынын", "кыргыз республикасынын өкмөтү",
             "айыл чарба", "борбор шаар мэриясы", "жок сөз айкашы бар"]
    return plain + hyphen + folded + extra


PHRASES = None


def phrases():
    global PHRASES
    if PHRASES is None:
        PHRASES = _phrases()
    return PHRASES


@pytest.fixture(scope="module")
def engines(corpus_engine, tmp_path_factory):
    """The one-segment corpus index, and the same corpus split over several segments."""
    from search.engine import SearchEngine
    store = build_index(tmp_path_factory.mktemp("corpus-multiseg"), [CORPUS], procs=2, multisegment=True)
    multi = SearchEngine(store=store)
    assert len(helpers.searcher(multi).reader().leaf_readers()) > 1
    # the same two indexes read from Whoosh's postings only (no compact files)
    return [corpus_engine, multi, SearchEngine(store=corpus_engine.store, compact=False),
            SearchEngine(store=store, compact=False)]


def test_enough_phrases_of_each_kind():
    ps = phrases()
    assert len(ps) >= 40
    assert sum("-" in p for p in ps) >= 5
    assert sum(not has_kyrgyz_letters(p) for p in ps) >= 10


def test_phrase_doc_sets_are_whooshs(engines):
    checked = 0
    for engine in engines:
        searcher = helpers.searcher(engine)
        for text in phrases():
            _, any_q = helpers.wanted(engine, f'"{text}"')
            if any_q is None:
                continue
            for node in helpers.phrase_nodes(any_q):
                ours = helpers.ids(helpers.docs(engine, node))
                assert ours == set(searcher.docs_for_query(helpers.whoosh(node))), (text, node)
                checked += 1
    assert checked >= 60


def test_phrase_ranking_is_whooshs(engines):
    nonempty = 0
    for engine in engines:
        searcher = helpers.searcher(engine)
        for text in phrases():
            _, any_q = helpers.wanted(engine, f'"{text}"')
            if any_q is None:
                continue
            whoosh = searcher.search(helpers.whoosh(any_q), limit=None)
            expected_docs = {hit.docnum for hit in whoosh}
            mask = helpers.docs(engine, any_q)
            docs = helpers.ids(mask)
            assert docs == expected_docs, text
            if not docs:
                continue
            nonempty += 1
            for limit in (1, 10, 30):
                ours = helpers.top(engine, any_q, mask, limit)
                theirs = [(hit.docnum, hit.score)
                          for hit in searcher.search(helpers.whoosh(any_q), limit=limit, filter=docs)]
                assert [d for d, _ in ours] == [d for d, _ in theirs], (text, limit)
                assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-12), (text, limit)
    assert nonempty >= 40


def test_phrase_with_words_and_filters_through_search(corpus_engine):
    """The whole page: the total is Whoosh's phrase count, and the order is the phrase's score
    plus its words' as loose words (search/compile.py ``_loose_words``), computed outside the
    engine (``helpers.reference_ranking``: Whoosh's own search per reading, plain-Python BM25F
    for the marked terms) over the documents having the phrase."""
    searcher = helpers.searcher(corpus_engine)
    compared = 0
    for text in phrases()[:12]:
        result = corpus_engine.search(f'"{text}"', per_page=20)
        _, any_q = helpers.wanted(corpus_engine, f'"{text}"')
        if any_q is None:
            assert result["total"] == 0
            continue
        whoosh = searcher.search(helpers.whoosh(any_q), limit=None)
        assert result["total"] == len(whoosh)
        docs = {h.docnum for h in whoosh}
        if not docs:
            continue
        reference = helpers.reference_ranking(corpus_engine, corpus_engine.plan(f'"{text}"').scoring, docs)
        stored_ids = [searcher.stored_fields(d)["id"] for d, _ in reference[:20]]
        assert [h["id"] for h in result["hits"]] == stored_ids, text
        compared += 1
    assert compared >= 8


def test_a_phrase_a_document_lacks_still_scores_its_words(tmp_path):
    """Counting is the phrase's: only the document with the words in that order counts.  Among
    the partial matches, the one having the phrase's words (not as the phrase) comes before the
    one having only the other word; the phrase itself still ranks first.  (Before, a phrase a
    document lacked gave it nothing, so the two partial matches tied on the other word.)"""
    filler = "Бул тууралуу маалымат кызматы билдирди. Иш боюнча текшерүү уланууда."
    docs = [
        {"id": "other-word-only", "body": f"Депутат жыйында сүйлөдү. {filler}"},
        {"id": "words-apart", "body": f"Депутат эттин баасы жана таза суу тууралуу айтты. {filler}"},
        {"id": "the-phrase", "body": f"Депутат таза эт кайда кетет деп сурады. {filler}"},
    ]
    store = build_index(tmp_path, [str(helpers.write_jsonl(tmp_path / "d.jsonl", docs))])
    from search.engine import SearchEngine
    engine = SearchEngine(store=store)
    try:
        result = engine.search("депутат «таза эт»", per_page=10)
        assert result["total"] == 1 and result["partial_total"] == 2
        assert [h["id"] for h in result["hits"]] == ["the-phrase", "words-apart", "other-word-only"]
        assert [h["partial"] for h in result["hits"]] == [False, True, True]
        assert "<mark>Депутат</mark>" in result["hits"][1]["snippet"]
    finally:
        engine.close()
