"""Letters that stand for ң ө ү (``data/lang/letter_variants.tsv``): a document typed with them
(жаӊы, Ѳкмѳт, мɵɵнɵт — 24.kg has all three) and one typed with the Kyrgyz letters are the same
to search, counting, highlighting and the place scanner; the text shown stays as it was typed."""
from __future__ import annotations

import json

import pytest

from indexer import lang
from indexer.analysis import analyze, normalize
from search.engine import SearchEngine
from search.filters import make_filters
from tests.helpers import CORPUS, build_index, require_corpus, write_jsonl

VARIANT_DOC = {"id": "variant", "title": "Ѳкмѳттүн жаӊы токтому", "date": "2024-03-05",
               "body": "Тоӊ районунда Жогорку Кеӊештин депутаттары коррупция боюнча жаӊы мыйзамды "
                       "талкуулашты. Ѳкмѳт мɵɵнɵтүн узартууга макулдугун берди."}
PLAIN_DOC = {"id": "plain", "title": "Өкмөттүн жаңы токтому", "date": "2024-03-06",
             "body": "Тоң районунда Жогорку Кеңештин депутаттары коррупция боюнча жаңы мыйзамды "
                     "талкуулашты. Өкмөт мөөнөтүн узартууга макулдугун берди."}
OTHER_DOC = {"id": "other", "title": "Башка кабар", "date": "2024-03-07",
             "body": "Ош шаарында футбол боюнча мелдеш өттү."}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("letter-variants")
    src = write_jsonl(folder / "docs.jsonl", [VARIANT_DOC, PLAIN_DOC, OTHER_DOC])
    return SearchEngine(store=build_index(folder / "index", [src]))


def test_table_rows_are_well_formed():
    rows = lang.read_table("letter_variants.tsv")
    assert rows and all(len(r["variant"]) == 1 and r["letter"] in "ңөүҢӨҮ" for r in rows)
    assert len({r["variant"] for r in rows}) == len(rows)
    assert not set(lang.LETTER_VARIANTS) & set(lang.HOMOGLYPHS)
    assert {"ɵ", "ö", "ü"} <= set(lang.HOMOGLYPHS)          # the Latin ones: look-alikes


@pytest.mark.parametrize("query", ["кеңеш жаңы", "Кеӊеш жаӊы", "кенеш жаны", "өкмөт мөөнөт",
                                   "Ѳкмѳт мɵɵнɵт", "окмот моонот", '"жаңы мыйзамды"'])
def test_both_spellings_match_every_spelling_of_the_query(engine, query):
    result = engine.search(query)
    assert result["total"] == 2
    assert {h["id"] for h in result["hits"] if not h["partial"]} == {"variant", "plain"}


def test_the_words_typed_with_variants_are_highlighted_as_typed(engine):
    hit = next(h for h in engine.search("кеңеш жаңы өкмөт")["hits"] if h["id"] == "variant")
    assert "<mark>Кеӊештин</mark>" in hit["snippet"] and "<mark>жаӊы</mark>" in hit["snippet"]
    assert hit["title"] == VARIANT_DOC["title"]          # shown as typed
    assert "<mark>Ѳкмѳттүн</mark>" in hit["title_html"]


def test_the_place_scanner_reads_the_variant_letters(engine):
    facets = engine.search("коррупция")["facets"]
    assert facets["district"] == {"Тоң району": 2}
    assert facets["oblast"] == {"Ысык-Көл облусу": 2}
    result = engine.search("коррупция", filters=make_filters(districts=["Тоң району"]))
    assert {h["id"] for h in result["hits"]} == {"variant", "plain"}


def test_only_the_words_with_variant_letters_change_over_the_corpus():
    """On 24.kg: every token whose normalized form has no variant letter is what it was; each
    token with one is the token of its Kyrgyz-letter spelling."""
    variants = lang.LETTER_VARIANTS | {latin: letter for latin, letter in lang.HOMOGLYPHS.items()
                                       if letter.lower() in "ңөү"}
    table = str.maketrans(variants)
    seen = 0
    with open(require_corpus(CORPUS), encoding="utf-8") as fh:
        for line in fh:
            body = json.loads(line)["body"]
            if not any(ch in body for ch in variants):
                continue
            seen += 1
            respelled = body.translate(table)
            assert [(t.text, t.pos, t.start, t.end) for t in analyze(body)] == \
                [(t.text, t.pos, t.start, t.end) for t in analyze(respelled)]
    assert seen >= 20          # 24.kg has 25 such articles
    assert normalize("жаӊы") == normalize("жаңы")
