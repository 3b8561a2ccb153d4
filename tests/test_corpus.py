"""The real 24.kg corpus (1,500 Kyrgyz articles, read from ../shared): indexed completely, known queries."""
import json

import pytest

from tests.helpers import CORPUS, require_corpus

pytestmark = pytest.mark.slow


def corpus_rows():
    with open(require_corpus(CORPUS), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def top_ids(engine, q, n=10):
    return [h["id"] for h in engine.search(q, per_page=n)["hits"]]


def test_every_article_with_a_body_is_indexed(corpus_engine, corpus_store):
    rows = corpus_rows()
    with_body = [r for r in rows if r["body"].strip()]
    assert corpus_engine.stats()["documents"] == len(with_body) == 1477
    assert len(rows) - len(with_body) == 23   # reported as 'missing "body"', see test below


def test_empty_bodies_are_reported_by_line():
    require_corpus()
    from indexer.ingest import Ingestor
    ing = Ingestor()
    n = sum(1 for _ in ing.documents([CORPUS]))
    assert n == 1477
    empty_lines = [i for i, r in enumerate(corpus_rows(), start=1) if not r["body"].strip()]
    assert [p.line for p in ing.report.errors] == empty_lines
    assert all(p.reason == 'missing "body"' or "non-empty" in p.reason for p in ing.report.errors)


@pytest.mark.parametrize("query, expected", [
    ("Байсуу кафеси", "24kg-22077"),
    ("Centerra Gold", "24kg-5141"),
    ("Турсунбек Акун", "24kg-5181"),
    ("жемкорлук чыгым", "24kg-4141"),
    ("ветеринария инспекциясы коррупциялык", "24kg-10434"),
    ("Араван банкомат", "24kg-2151"),
])
def test_known_queries_find_the_expected_article(corpus_engine, query, expected):
    assert expected in top_ids(corpus_engine, query, 5)


def test_one_form_finds_the_others(corpus_engine):
    # a query in the dictionary form finds articles that only have inflected forms
    result = corpus_engine.search("коррупция", per_page=100)
    bodies = [corpus_engine.document(h["id"])["body_html"] for h in result["hits"]]
    assert result["total"] > 20
    inflected_only = [b for b in bodies if "коррупция " not in " ".join(b).lower()]
    assert inflected_only, "no article matched through an inflected form"
    for hit in result["hits"][:20]:
        assert "<mark>" in hit["snippet"]

