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


# -- the lead field: the body's first sentence, for every document, scoring only ----------

def test_lead_sentence_is_the_first_sentence_of_the_first_paragraph():
    from indexer.documents import MAX_LEAD, lead_sentence
    assert lead_sentence("  Салык кызматы текшерүү жүргүздү. Бишкекте тергөө уланууда.") == \
        "Салык кызматы текшерүү жүргүздү."
    assert lead_sentence("Аталышсыз бир узун абзац\nЭкинчи абзац. Дагы.") == "Аталышсыз бир узун абзац"
    assert lead_sentence("Бюджетке 1,2 млрд сом кайтарылды. Тергөө.") == "Бюджетке 1,2 млрд сом кайтарылды."
    assert lead_sentence("") == ""
    long = "сөз " * 1000
    assert len(lead_sentence(long)) <= MAX_LEAD


def test_a_lead_shorter_than_four_words_takes_the_next_sentences():
    """A dateline, a photo credit, a cut after an initial or a one-word line is no lead: the
    sentences after it are joined on (across lines) until the lead has four words."""
    from indexer.documents import MIN_LEAD_WORDS, lead_sentence
    assert MIN_LEAD_WORDS == 4
    assert lead_sentence("БИШКЕК, 25-фев. — Кабар. Жогорку Кеңеш мыйзамды кабыл алды. Андан кийин.") == \
        "БИШКЕК, 25-фев. — Кабар. Жогорку Кеңеш мыйзамды кабыл алды."
    assert lead_sentence(" Фото Интернеттен алынды \nАлия Шагиеванын пикиринде, бийлик жалган айтат. Алар.") == \
        "Фото Интернеттен алынды Алия Шагиеванын пикиринде, бийлик жалган айтат."
    assert lead_sentence("И. Исаков кечээ сотко чакырылды. Тергөө уланууда.") == "И. Исаков кечээ сотко чакырылды."
    assert lead_sentence("Тектеш\n\n Талас облусунда кырсык болду\nАйтымында.") == \
        "Тектеш Талас облусунда кырсык болду"
    assert lead_sentence("Өкмөт баардык чыгымдарды кыскартты. Экинчи сүйлөм.") == \
        "Өкмөт баардык чыгымдарды кыскартты."                       # four words: a headline-like lead
    assert lead_sentence("Кыска. Дагы.") == "Кыска. Дагы."            # the text ends first


def test_an_index_made_by_another_lead_rule_needs_a_reindex():
    from indexer.analysis import ANALYZER_VERSION
    from indexer.fields import field_rules
    from indexer.lang import index_dependencies, needs_reindex
    good = {"analyzer_version": ANALYZER_VERSION, **index_dependencies()}
    assert needs_reindex(good) is None and "lead" in field_rules()
    before = {k: v for k, v in good.items() if k != "field_rules"}        # built before rules were recorded
    assert "field lead was made by an earlier rule" in needs_reindex(before)
    other = {**good, "field_rules": {"lead": "lead-1: the first sentence"}}
    assert "'lead-1: the first sentence'" in needs_reindex(other)


def _same_words(tmp_path):
    """Two documents of the same sentences in another order (the same words, the same lengths):
    only ``early`` has «коррупция» in its first sentence; ``late`` comes first in the index."""
    a, b, c = "Коррупция боюнча иш козголду.", "Шаарда курулуш уланууда.", "Бишкекте жаңы мектеп ачылды."
    src = write_jsonl(tmp_path / "docs.jsonl", [
        {"id": "late", "body": f"{c} {b} {a}"},
        {"id": "early", "body": f"{a} {b} {c}"},
        {"id": "other", "body": f"{c} {b} Тергөө уланууда."},
    ])
    return build_index(tmp_path / "ix", [src])


def test_the_lead_adds_to_the_score_and_never_to_the_count(tmp_path, monkeypatch):
    store = _same_words(tmp_path)
    engine = SearchEngine(store=store)
    got = engine.search("коррупция")
    assert [h["id"] for h in got["hits"]] == ["early", "late"]
    assert got["total"] == 2 and got.get("partial_total", 0) == 0
    assert got["hits"][0]["score"] > got["hits"][1]["score"]
    # two words, one of them in the lead of "early" only: both documents have both words
    # ("other" has one of them: a partial match after them)
    got = engine.search("коррупция мектеп")
    assert [h["id"] for h in got["hits"]] == ["early", "late", "other"] and got["total"] == 2
    assert [bool(h.get("partial")) for h in got["hits"]] == [False, False, True]
    # the lead is not a field a query may name, and it is no title
    assert engine.search("title:коррупция")["total"] == 0
    # without the lead's weight the two tie, and the index order decides
    from search import compile as plan_compiler
    monkeypatch.setitem(plan_compiler.BOOST, "lead", 0.0)
    again = SearchEngine(store=store).search("коррупция")
    assert [h["id"] for h in again["hits"]] == ["late", "early"] and again["total"] == 2
    assert again["hits"][0]["score"] == again["hits"][1]["score"]


def test_an_index_without_the_lead_field_scores_without_it(tmp_path, monkeypatch):
    from search.generation import Generation
    from search.plan import scoring_terms
    engine = SearchEngine(store=_same_words(tmp_path))
    fields = {f for _, f, _, _ in scoring_terms(engine.plan("коррупция").scoring)}
    assert fields == {"title", "body", "lead"}
    monkeypatch.setattr(Generation, "has_field", lambda self, name: name != "lead")
    fields = {f for _, f, _, _ in scoring_terms(SearchEngine(store=engine.store).plan("коррупция").scoring)}
    assert fields == {"title", "body"}
