"""A document without a title shows its first sentence as the title, but that sentence is not
indexed a second time as a (boosted) title: it counts once, as part of the body."""
from __future__ import annotations

from tests.helpers import build_index, write_jsonl
from search.engine import SearchEngine


def _engine(tmp_path):
    src = write_jsonl(tmp_path / "docs.jsonl", [
        {"id": "given", "title": "Салык кызматы текшерүү жүргүздү", "body": "Бишкекте текшерүү болду. Тергөө уланууда."},
        {"id": "lead", "body": "Салык кызматы текшерүү жүргүздү. Бишкекте тергөө уланууда."},
    ])
    return SearchEngine(store=build_index(tmp_path / "ix", [src]))


def test_lead_is_shown_as_title_but_not_indexed_as_one(tmp_path):
    engine = _engine(tmp_path)
    hits = {h["id"]: h for h in engine.search("салык", per_page=10)["hits"]}
    assert set(hits) == {"given", "lead"}
    assert hits["lead"]["title"] == "Салык кызматы текшерүү жүргүздү."
    assert "<mark>" in hits["lead"]["title_html"]          # still highlighted for the reader
    # the title field has only the given title
    assert [h["id"] for h in engine.search("title:салык")["hits"]] == ["given"]
    doc = engine.document("lead", "салык")
    assert doc["title"].startswith("Салык кызматы")


def test_given_title_still_ranks_first(tmp_path):
    engine = _engine(tmp_path)
    # "салык" stands once in each document's text; only "given" has it in a title
    assert engine.search("салык")["hits"][0]["id"] == "given"
