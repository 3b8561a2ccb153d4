"""A prefix typed past a word's stem (``макала*``: the stem of макала is макать; ``коррупцияга*``:
коррупция) finds the words that start with it: a prefix expands to the index terms starting
with it and to the stems of the index's word forms starting with it, and those are marked."""
from __future__ import annotations

import pytest

from indexer.analysis import stem
from search.engine import SearchEngine
from tests.helpers import build_index, write_jsonl

DOCS = [
    {"id": "m1", "body": "Бул макалада коррупция тууралуу айтылат."},
    {"id": "m2", "body": "Ал макаланы окуду."},
    {"id": "k1", "body": "Коррупцияга каршы күрөш уланууда."},
    {"id": "k2", "body": "Коррупция боюнча иш козголду."},
    {"id": "x", "body": "Мектепте сабак башталды."},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prefix")
    e = SearchEngine(store=build_index(tmp / "ix", [write_jsonl(tmp / "d.jsonl", DOCS)]))
    yield e
    e.close()


def _ids(result) -> set[str]:
    return {h["id"] for h in result["hits"]}


def test_a_prefix_longer_than_the_stem_finds_the_words(engine):
    assert not stem("макала").startswith("макала")        # what made it find nothing before
    result = engine.search("макала*")
    assert _ids(result) == {"m1", "m2"} and result["total"] == 2
    assert all("<mark>" in h["snippet"] for h in result["hits"])
    assert engine.search("макаланы*")["total"] >= 1


def test_a_whole_inflected_word_as_a_prefix(engine):
    result = engine.search("коррупцияга*")
    assert "k1" in _ids(result) and "x" not in _ids(result)
    # a prefix shorter than the stems is unchanged: the stems that start with it
    assert _ids(engine.search("корр*")) == {"m1", "k1", "k2"}
    assert engine.search("макалабыз*")["total"] == 0        # no word of the index starts with it


def test_a_field_no_document_has_says_so(engine, tmp_path):
    """The fixture's JSON Lines give no titles: ``title:`` can find nothing, and a note says why."""
    result = engine.search("title:коррупция")
    assert result["total"] == 0
    assert [n["kind"] for n in result["notes"]].count("empty_field") == 1
    assert engine.search("body:коррупция")["total"] > 0
    assert "empty_field" not in [n["kind"] for n in engine.search("body:коррупция")["notes"]]
    titled = SearchEngine(store=build_index(tmp_path / "ix", [write_jsonl(
        tmp_path / "t.jsonl", [{"id": "t", "title": "Коррупция", "body": "Текст."}])]))
    try:
        got = titled.search("title:коррупция")
        assert got["total"] == 1 and "empty_field" not in [n["kind"] for n in got["notes"]]
    finally:
        titled.close()
