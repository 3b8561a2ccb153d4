"""Ranking, partial matches, phrases, OR/NOT, fields, prefixes, highlighting, pagination."""
import pytest

from search.engine import SearchEngine
from search.filters import Filters
from tests.helpers import build_index, write_jsonl

DOCS = [
    {"id": "both", "title": "Жаңылык", "body": "Тоң районунда коррупцияга каршы жыйын өттү.", "date": "2025-12-10"},
    {"id": "only-corruption", "title": "Башка", "body": "Коррупциянын алдын алуу боюнча сунуштар.", "date": "2024-01-05"},
    {"id": "only-district", "title": "Аймак", "body": "Тоң районунун айыл өкмөтү жаңы мектеп курду.", "date": "2023-03-01"},
    {"id": "title-hit", "title": "Коррупция тууралуу баяндама", "body": "Отчёт жарыяланды.", "date": "2022-06-01"},
    {"id": "xss", "title": "<script>alert(1)</script> коррупция", "body": "Текст <b>калың</b> & коррупция <script>x</script>"},
    {"id": "phrase", "title": "Органдар", "body": "Мамлекеттик органдардын өкүлдөрү катышты. Органдардын мамлекеттик иши."},
    {"id": "fold", "title": "Өзгөчө", "body": "Көргөзмө ачылды: өз ара кызматташтык."},
    {"id": "oz", "title": "Оз", "body": "Оз деген сөз башка."},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("search")
    src = write_jsonl(tmp / "docs.jsonl", DOCS)
    store = build_index(tmp / "index", [src])
    return SearchEngine(store=store)


def ids(result):
    return [h["id"] for h in result["hits"]]


def test_inflected_forms_match(engine):
    found = ids(engine.search("коррупция"))
    assert {"both", "only-corruption", "title-hit", "xss"} <= set(found)


def test_all_words_rank_above_partial_matches(engine):
    result = engine.search("коррупция Тоң району")
    found = ids(result)
    assert found[0] == "both"
    assert {"only-corruption", "only-district"} <= set(found)   # partial matches still returned
    # total counts the documents with every word; the ones with some of them follow, marked
    assert result["total"] == 1 and result["partial_total"] == len(found) - 1
    assert [h["partial"] for h in result["hits"]] == [False] + [True] * (len(found) - 1)
    assert result["all_words_found"]


def test_no_document_with_all_words_is_said_and_the_partial_ones_shown(engine):
    result = engine.search("коррупция мектеп")
    assert result["total"] == 0 and result["partial_total"] >= 2
    assert not result["all_words_found"]
    assert any(n["kind"] == "no_document_has_all_words" for n in result["notes"])
    assert result["hits"] and all(h["partial"] for h in result["hits"])


def test_punctuation_only_finds_nothing_and_says_why(engine):
    for q in ["...", "!!!", "- * ?", "AND OR"]:
        result = engine.search(q)
        assert result["total"] == 0 and not result["hits"], q
        assert any(n["kind"] == "nothing_to_search" for n in result["notes"]), q
    assert engine.search("")["total"] == len(DOCS)        # an empty query still browses


def test_title_match_is_boosted(engine):
    found = ids(engine.search("коррупция"))
    assert found.index("title-hit") < found.index("only-corruption")


def test_or_and_not(engine):
    assert set(ids(engine.search("мектеп OR баяндама"))) == {"only-district", "title-hit"}
    found = set(ids(engine.search("коррупция -Тоң")))
    assert "both" not in found and "only-corruption" in found
    assert "both" not in set(ids(engine.search("коррупция NOT району")))


def test_phrase_is_exact_order(engine):
    assert ids(engine.search('"мамлекеттик органдардын"')) == ["phrase"]
    assert ids(engine.search('"органдардын мамлекеттик"')) == ["phrase"]
    assert ids(engine.search('"мамлекеттик иши органдардын"')) == []


def test_field_restriction(engine):
    assert ids(engine.search("title:коррупция")) and set(ids(engine.search("title:коррупция"))) == {"title-hit", "xss"}
    assert "both" not in ids(engine.search("title:коррупция"))


def test_prefix(engine):
    assert {"both", "only-corruption", "title-hit", "xss"} <= set(ids(engine.search("корруп*")))


def test_keyboard_folded_query_finds_kyrgyz_letters_ranked_below_exact(engine):
    found = ids(engine.search("Тон району"))
    assert "both" in found and "only-district" in found
    found = ids(engine.search("оз"))
    assert found[0] == "oz" and "fold" in found        # exact-letter match first
    assert ids(engine.search("коргозмо")) == ["fold"]


def test_snippet_prefers_the_exact_letters_over_a_keyboard_variant(tmp_path):
    """`оз` typed on a Russian keyboard also matches `өз`; the snippet shows the sentence with
    the word as typed, even when the variant comes first in the article."""
    body = ("Өз ара кызматташтык жөнүндө келишим түзүлдү. " + "Узак сүйлөм андан кийин келет. " * 12 +
            "Оз деген ысым да айтылды.")
    store = build_index(tmp_path / "ix", [write_jsonl(tmp_path / "d.jsonl", [
        {"id": "mixed", "title": "Кабар", "body": body}])])
    engine = SearchEngine(store=store)
    matcher = engine.plan("оз").matcher
    assert "оз" in matcher.terms and matcher.variants and "оз" not in matcher.variants
    hit = engine.search("оз")["hits"][0]
    assert "<mark>Оз</mark> деген" in hit["snippet"]
    # typed with the Kyrgyz letter: the first sentence, and no variants
    assert "<mark>Өз</mark> ара" in engine.search("өз")["hits"][0]["snippet"]
    assert not engine.plan("өз").matcher.variants


def test_malformed_queries_do_not_raise(engine):
    for q in ['"коррупция', "OR", "NOT", "-", "***", "title:", '"" OR ""', "((коррупция"]:
        engine.search(q)


def test_highlight_marks_inflected_forms_and_escapes(engine):
    hit = next(h for h in engine.search("коррупция")["hits"] if h["id"] == "both")
    assert "<mark>коррупцияга</mark>" in hit["snippet"]
    xss = next(h for h in engine.search("коррупция")["hits"] if h["id"] == "xss")
    assert "<script>" not in xss["snippet"] and "&lt;script&gt;" in xss["snippet"]
    assert "<script>" not in xss["title_html"] and "&lt;script&gt;" in xss["title_html"]
    assert "&amp;" in xss["snippet"]


def test_pagination_is_consistent(engine):
    full = ids(engine.search("коррупция", per_page=100))
    paged = []
    for page in range(1, 4):
        paged += ids(engine.search("коррупция", page=page, per_page=2))
    assert paged == full[:6] or paged == full


def test_empty_query_browses_newest_first(engine):
    result = engine.search("")
    assert result["total"] == len(DOCS)
    dated = [h["date"] for h in result["hits"] if h["date"]]
    assert dated == sorted(dated, reverse=True)
    assert result["hits"][-1]["date"] is None    # undated documents last


def test_stop_words_are_dropped_from_keyword_queries_but_count_in_phrases(engine):
    assert set(ids(engine.search("коррупция жана"))) == set(ids(engine.search("коррупция")))


def test_document_view_highlights_every_match(engine):
    doc = engine.document("phrase", "органдардын")
    assert doc["matches"] == 2
    assert sum(p.count("<mark>") for p in doc["body_html"]) == 2
    assert engine.document("missing") is None


def test_result_shape(engine):
    r = engine.search("коррупция", per_page=2)
    assert set(r) >= {"query", "total", "page", "per_page", "took_ms", "hits", "facets"}
    assert set(r["hits"][0]) >= {"id", "title", "date", "url", "source", "score", "snippet"}
    assert r["per_page"] == 2 and len(r["hits"]) == 2


def test_api_and_page_set_the_partial_hits_apart(tmp_path):
    from web import create_app
    src = write_jsonl(tmp_path / "docs.jsonl", DOCS)
    eng = SearchEngine(store=build_index(tmp_path / "index", [src]))
    client = create_app({"ENGINE": eng, "TESTING": True}).test_client()
    data = client.get("/api/search", query_string={"q": "коррупция Тоң району"}).get_json()
    assert data["total"] == 1 and data["partial_total"] >= 2 and data["all_words_found"]
    assert [h["partial"] for h in data["hits"]] == [False] + [True] * data["partial_total"]
    assert data["notes"] == []
    page = client.get("/", query_string={"q": "коррупция Тоң району"}).get_data(as_text=True)
    assert page.count('class="partial-note"') == 1 and page.count('class="hit partial"') == data["partial_total"]
    assert page.index('class="partial-note"') < page.index('class="hit partial"')
    none = client.get("/", query_string={"q": "коррупция мектеп"}).get_data(as_text=True)
    assert "all-words-missing" in none and 'class="hit partial"' in none
    junk = client.get("/api/search", query_string={"q": "!!!"}).get_json()
    assert junk["total"] == 0 and junk["notes"][0]["kind"] == "nothing_to_search"
