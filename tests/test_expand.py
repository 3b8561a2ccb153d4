"""Query expansion: Latin-typed Kyrgyz, Russian ↔ Kyrgyz equivalents, did-you-mean (search/expand.py)."""
import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from indexer.analysis import MARKS, fold, stem
from search.engine import SearchEngine
from search.equivalents import EQUIV_WEIGHT, equivalents, table
from search.expand import Expander
from search.suggest import Suggester
from search.translit import RULES, is_latin, latin_candidates, latin_spellings
from tests.helpers import build_index
from tests.test_browser import browser  # noqa: F401  (the headless Chromium fixture)
from web import create_app

FIXTURE = Path(__file__).parent / "data" / "ru_fixture_corruption.jsonl"


def ids(result):
    return [h["id"] for h in result["hits"]]


def kinds(result):
    return {e["kind"] for e in result["expansions"]}


# -- transliteration table ------------------------------------------------------------------

@pytest.mark.parametrize("latin, cyrillic", [
    ("korrupciya", "коррупция"), ("korruptsiya", "коррупция"), ("Bishkek", "бишкек"),
    ("Japarov", "жапаров"), ("Zhaparov", "жапаров"), ("Djaparov", "жапаров"), ("sot", "сот"),
    ("UKMK", "укмк"), ("rayonu", "району"), ("Tong", "тоң"), ("Kyrgyzstan", "кыргызстан"),
    ("Söz", "сөз"), ("Jalal-Abad", "жалал-абад"), ("Ysyk-Köl", "ысык-көл"), ("tergöö", "тергөө"),
    ("Šaršeev", "шаршеев"), ("Ærøskøbing", None),   # æ ø are no letters of the table: no reading
])
def test_latin_candidates_contain_the_word(latin, cyrillic):
    readings = latin_candidates(latin)
    if cyrillic is None:
        assert readings == ()
    else:
        assert cyrillic in readings
        assert len(readings) <= 48


def test_the_usual_reading_comes_first():
    assert latin_candidates("korruptsiya")[0] == "коррупция"
    assert latin_candidates("Bishkek")[0] == "бишкек"
    assert latin_candidates("Zhaparov")[0] == "жапаров"


HABITS = {
    "passport": {"ж": "zh", "ң": "ng", "ө": "oe", "ү": "ue", "ы": "y", "ц": "ts", "х": "kh",
                 "я": "ya", "ю": "yu", "ч": "ch", "ш": "sh", "й": "y"},
    "phone": {"ж": "j", "ң": "n", "ө": "o", "ү": "u", "ы": "i", "ц": "c", "х": "h", "я": "ia",
              "ю": "iu", "й": "y"},
    "turkic": {"ж": "j", "ң": "ñ", "ө": "ö", "ү": "ü", "ы": "ı", "ш": "ş", "ч": "ç", "х": "h", "й": "y"},
    "iso": {"ж": "ž", "ч": "č", "ш": "š", "ц": "c", "х": "h", "ы": "y", "ң": "ng", "ө": "ö", "ү": "ü",
            "й": "j", "я": "ja", "ю": "ju"},
    "french": {"ж": "dj", "ң": "n", "ө": "o", "ү": "u", "ы": "y", "ш": "sh", "ч": "ch", "й": "y"},
}
WORDS = ["коррупция", "прокуратура", "бишкек", "жапаров", "тергөөчү", "өкүм", "күбө", "шектүү",
         "кылмыш", "мыйзамсыз", "жогорку", "кеңеш", "сот", "тоң", "чүй", "ысык-көл", "айыптоо",
         "паракордук", "уурдоо", "кармалды", "ички", "иштер", "тинтүү", "жазык", "кызмат"]


@pytest.mark.parametrize("habit", sorted(HABITS))
def test_round_trip_through_a_latin_habit(habit):
    """Cyrillic → Latin in one habit → back: the word (or, where the habit drops ң ө ү, its
    keyboard-folded spelling, which the index's fold map resolves) is among the readings."""
    for word in WORDS:
        latin = latin_spellings(word, HABITS[habit])
        readings = latin_candidates(latin)
        assert word in readings or fold(word) in {fold(r) for r in readings if r == fold(r)}, (habit, word, latin)


def test_table_rows_are_well_formed():
    for latin, rows in RULES.items():
        assert latin == latin.lower()
        for cyr, cost, where in rows:
            assert cost >= 0 and where in ("any", "start", "after_vowel", "after_consonant"), latin
            assert all("\u0400" <= ch <= "\u04ff" for ch in cyr), (latin, cyr)


def test_is_latin():
    assert is_latin("Bishkek") and is_latin("Söz") and is_latin("Jalal-Abad")
    assert not is_latin("Бишкек") and not is_latin("2024") and not is_latin("x" * 50)


# -- equivalents ----------------------------------------------------------------------------

def test_equivalents_both_ways():
    forms = lambda term: {f for f, _, _ in equivalents((term,))}
    assert ("укмк",) in forms("гкнб") and ("гкнб",) in forms("укмк")
    assert ("иим",) in forms("мвд") and ("сот",) in forms("суд")
    assert (stem("взятка"),) in forms("пара")
    assert all(w == EQUIV_WEIGHT < 1 for _, w, _ in equivalents(("гкнб",)))


def test_equivalents_table_has_sources_and_no_short_stems():
    index, concepts = table()
    assert len(concepts) >= 40
    for forms in concepts:
        for terms, _ in forms:
            assert len(terms) > 1 or len(terms[0]) >= 2
    assert ("ай",) not in index            # no one-word form stands for the month ай
    # айып "fine" is a protected root since ky-11 (it stemmed to ай, the month): the phrase keeps it
    assert ("айып", "пул") in index and ("ай", "пул") not in index


# -- suggestions --------------------------------------------------------------------------

VOCAB = [("коррупция", 40), ("прокуратура", 60), ("прокурор", 25), ("бишкек", 400), ("тоң", 5),
         ("көл", 30), ("кол", 3), ("сот", 160), ("сөз", 50), ("бир", 900), ("редкий", 1)]


def test_suggester_closest_with_folding():
    s = Suggester(VOCAB)
    assert s.closest("корупция")[0][:2] == ("коррупция", 1)
    assert s.closest("прокуротура")[0][0] == "прокуратура"
    assert s.closest("бшкек")[0][0] == "бишкек"
    # folded spellings are no edits: кол/көл are the same key, the more frequent form is offered
    assert [c for c, d, _ in s.closest("коо") if d == 1][:1] == ["көл"]
    assert "редкий" not in {c for c, _, _ in s.closest("редкии")}    # a hapax is never offered


def _expander(vocab):
    df = dict(vocab)
    return Expander(lambda t: df.get(t, 0), lambda: iter(vocab))


def test_expander_suggest_keeps_the_rest_of_the_query():
    xp = _expander(VOCAB)
    assert xp.suggest("корупция") == "коррупция"
    assert xp.suggest('Бшкек OR "сот" title:корупция -бир') == 'Бишкек OR "сот" title:коррупция -бир'
    assert xp.suggest("коррупция Бишкек") is None          # exact and frequent: nothing to correct
    assert xp.suggest("корруп*") is None                   # prefixes are left alone


def test_expander_latin_resolved_against_the_vocabulary():
    xp = _expander(VOCAB + [("centerra", 3), ("ит", 2)])
    assert xp.latin_forms("Bishkek") == ("бишкек",)
    assert set(xp.latin_forms("Tong")) == {"тоң"}
    assert xp.latin_forms("Centerra") == ()                # indexed as typed
    assert xp.latin_forms("qwxq") == ()                    # no reading is indexed


def test_a_term_outside_the_vocabulary_is_not_looked_up_once_it_is_read():
    vocab = [("бишкек", 5), ("тоң", 3), ("centerra", 2)]
    asked = []
    df = dict(vocab)
    xp = Expander(lambda t: asked.append(t) or df.get(t, 0), lambda: iter(vocab))
    assert xp.doc_freq("бышкек") == 0 and asked == ["бышкек"]      # before: asked
    xp._load()
    assert xp.doc_freq("бышкак") == 0 and xp.doc_freq("тоң") == 3
    assert asked == ["бышкек", "тоң"]
    assert set(xp.latin_forms("Tong")) == {"тоң"} and xp.latin_forms("Bishkek") == ("бишкек",)


# -- on fixture documents (Russian and Kyrgyz) ------------------------------------------------

@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    store = build_index(tmp_path_factory.mktemp("expand-fixture"), [FIXTURE])
    return SearchEngine(store=store)


def test_the_engine_vocabulary_holds_every_term_with_a_document(engine):
    """What makes the expander's shortcut exact: terms() lists every term doc_freq counts."""
    st = engine.state()
    xp = st.expander
    lexicon = {t for f in ("title", "body") for t in st.reader.field_terms(f)}
    # the words: not the exact-form / prefix terms (indexer/marked.py), never asked for nor suggested
    indexed = {t for t in lexicon if t[:1] not in MARKS}
    assert len(indexed) < len(lexicon)
    words = sorted(indexed) + ["бышкек", "корупция", "тон", "qwxq", *latin_candidates("Bishkek")]
    before = [xp.doc_freq(w) for w in words]
    xp._load()
    xp.doc_freq.cache_clear()
    assert [xp.doc_freq(w) for w in words] == before
    assert all(before[:len(indexed)]) and xp._vocabulary[0] == frozenset(indexed)


@pytest.mark.parametrize("query, typed_doc, equivalent_doc", [
    ("ГКНБ", "ru-bribe", "ky-bribe"),
    ("УКМК", "ky-bribe", "ru-bribe"),
    ("пара", "ky-bribe", "ru-bribe"),
    ("взятка", "ru-bribe", "ky-bribe"),
    ("суд", "ru-court", "ky-court"),
    ("сот", "ky-court", "ru-court"),
    ("МВД", "ru-mvd", "ky-mvd"),
    ("ИИМ", "ky-mvd", "ru-mvd"),
])
def test_equivalents_find_the_other_language_ranked_below(engine, query, typed_doc, equivalent_doc):
    result = engine.search(query)
    found = ids(result)
    assert found[0] == typed_doc and equivalent_doc in found
    assert "equivalent" in kinds(result)


def test_equivalents_only_when_expanding(engine):
    engine.expand = False
    try:
        assert ids(engine.search("ГКНБ")) == ["ru-bribe"]
        assert engine.search("ГКНБ")["expansions"] == []
    finally:
        engine.expand = True


def test_multiword_equivalent_as_a_phrase(engine):
    result = engine.search('"злоупотребление должностным положением"')
    assert {"ru-abuse", "ru-court", "ky-court"} <= set(ids(result))
    assert ids(result)[0] == "ru-abuse"
    assert any(e["kind"] == "equivalent" and "кызмат абалынан кыянаттык менен пайдалануу" in e["to"]
               for e in result["expansions"])
    # the Kyrgyz words in the Kyrgyz article are highlighted
    hit = next(h for h in result["hits"] if h["id"] == "ky-court")
    assert "<mark>" in hit["snippet"]


def test_latin_on_fixture(engine):
    assert ids(engine.search("UKMK")) == ids(engine.search("УКМК"))
    assert "ky-mvd" in ids(engine.search("Tong rayonu"))
    result = engine.search("Centerra Gold")
    assert ids(result) == ["ky-latin"] and not result["expansions"]


def test_api_and_page_show_expansions_and_did_you_mean(engine):
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    data = client.get("/api/search?q=ГКНБ").get_json()
    assert data["did_you_mean"] is None
    assert {"from": "ГКНБ", "kind": "equivalent"}.items() <= data["expansions"][0].items()
    assert "УКМК" in data["expansions"][0]["to"]
    page = client.get("/?q=ГКНБ").get_data(as_text=True)
    assert "Ошондой эле изделди" in page and "УКМК" in page
    data = client.get("/api/search?q=Бишкек").get_json()
    assert data["total"] > 0 and data["did_you_mean"] is None and data["expansions"] == []


def test_page_did_you_mean_link_and_corrected_search(engine):
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    result = engine.search("Бишкек уурдоо")
    assert result["did_you_mean"] is None
    # a misspelled word beside one that finds documents: no document has both words (total 0),
    # the partial matches stay listed, the correction is a link
    result = engine.search("Бшкек уурдоо")
    assert result["total"] == 0 and result["partial_total"] > 0 and result["corrected_from"] is None
    assert result["did_you_mean"] == "Бишкек уурдоо"
    page = client.get("/?q=Бшкек+уурдоо").get_data(as_text=True)
    assert 'Муну издедиңизби: <a href="/?q=%D0%91%D0%B8%D1%88%D0%BA%D0%B5%D0%BA+%D1%83%D1%83%D1%80%D0%B4%D0%BE%D0%BE">' in page
    result = engine.search("Бшкек")              # finds nothing as typed: the correction is searched
    assert result["corrected_from"] == "Бшкек" and result["did_you_mean"] == "Бишкек"
    assert set(ids(result)) == set(ids(engine.search("Бишкек")))
    page = client.get("/?q=Бшкек").get_data(as_text=True)
    assert "Ордуна изделди" in page and "Бишкек" in page
    data = client.get("/api/search?q=Бшкек").get_json()
    assert data["did_you_mean"] == "Бишкек" and data["corrected_from"] == "Бшкек" and data["total"] > 0


def test_export_of_a_corrected_query_holds_what_the_page_lists(engine):
    """``Бшкек`` finds nothing as typed; the page searches ``Бишкек`` instead, and so do the
    export (saying so in a header) and a typo that a correction cannot save exports nothing."""
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    page = engine.search("Бшкек", per_page=100)
    told: list[str] = []
    total, rows = engine.matches("Бшкек", on_corrected=told.append)
    assert total == page["total"] > 0 and told == ["Бишкек"]
    assert [r["id"] for r in rows] == ids(page)
    resp = client.get("/api/export?q=Бшкек&format=jsonl")
    assert resp.status_code == 200 and resp.headers["X-Total-Count"] == str(page["total"])
    assert unquote(resp.headers["X-Searched-Instead"]) == "Бишкек"
    assert [json.loads(line)["id"] for line in resp.get_data(as_text=True).splitlines()] == ids(page)
    # found as typed: no correction, no header; nothing to correct to: an empty export
    resp = client.get("/api/export?q=Бишкек&format=jsonl")
    assert "X-Searched-Instead" not in resp.headers and resp.headers["X-Total-Count"] == str(page["total"])
    told.clear()
    total, rows = engine.matches("жжжжжжжжжж", on_corrected=told.append)
    assert total == 0 and list(rows) == [] and told == []


# -- on the 24.kg corpus ------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("latin, cyrillic", [
    ("korrupciya", "коррупция"), ("korruptsiya", "коррупция"), ("Bishkek", "Бишкек"),
    ("Japarov", "Жапаров"), ("Zhaparov", "Жапаров"), ("UKMK", "УКМК"),
])
def test_corpus_latin_finds_what_cyrillic_finds(corpus_engine, latin, cyrillic):
    typed, cyr = corpus_engine.search(latin), corpus_engine.search(cyrillic)
    assert cyr["total"] > 0
    assert typed["total"] == cyr["total"]
    assert ids(typed) == ids(cyr)
    assert "latin" in kinds(typed)


@pytest.mark.slow
def test_corpus_latin_sot_and_ton_rayonu(corpus_engine):
    sot = corpus_engine.search("sot")
    assert sot["total"] >= corpus_engine.search("сот")["total"] > 0
    ton = corpus_engine.search("Ton rayonu", per_page=100)
    cyr = corpus_engine.search("Тоң району", per_page=100)
    assert ton["total"] >= cyr["total"] > 0
    assert {e["from"] for e in ton["expansions"] if e["kind"] == "latin"} == {"Ton", "rayonu"}


@pytest.mark.slow
def test_corpus_exact_latin_tokens_match_as_typed(corpus_engine):
    for q in ("Centerra Gold", "IT"):
        result = corpus_engine.search(q)
        assert result["total"] > 0 and not result["expansions"] and result["did_you_mean"] is None
        corpus_engine.expand = False
        try:
            assert ids(corpus_engine.search(q)) == ids(result)
        finally:
            corpus_engine.expand = True


@pytest.mark.slow
@pytest.mark.parametrize("typo, fixed", [
    ("корупция", "коррупция"), ("прокуротура", "прокуратура"), ("Бшкек", "Бишкек"),
    ("korupciya", "коррупция"),
])
def test_corpus_typos(corpus_engine, typo, fixed):
    result = corpus_engine.search(typo)
    assert result["did_you_mean"] == fixed
    assert result["corrected_from"] == typo
    assert result["total"] == corpus_engine.search(fixed)["total"] > 0


@pytest.mark.slow
def test_corpus_rare_word_gets_a_suggestion_but_keeps_its_results(corpus_engine):
    result = corpus_engine.search("Бшкек сот")
    assert result["did_you_mean"] == "Бишкек сот" and result["corrected_from"] is None
    assert result["total"] == 0 and result["partial_total"] == corpus_engine.search("сот")["total"]


@pytest.mark.slow
@pytest.mark.parametrize("word", ["коррупция", "Бишкек", "прокуратура", "сот", "Жапаров", "УКМК"])
def test_corpus_no_latin_or_typo_for_exact_frequent_words(corpus_engine, word):
    result = corpus_engine.search(word)
    assert result["did_you_mean"] is None and result["corrected_from"] is None
    assert not kinds(result) - {"equivalent"}


@pytest.mark.slow
def test_corpus_russian_agency_names_meet_kyrgyz(corpus_engine):
    assert corpus_engine.search("ГКНБ")["total"] >= corpus_engine.search("УКМК")["total"] > 0
    assert corpus_engine.search("МВД")["total"] >= corpus_engine.search("ИИМ")["total"] > 0
    assert corpus_engine.search("взятка")["total"] >= corpus_engine.search("пара")["total"] > 0


# -- the page in headless Chromium ----------------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_server(engine):
    from tests.helpers import Server
    srv = Server(engine.store.root)
    yield srv
    srv.stop()


@pytest.mark.browser
def test_browser_did_you_mean_link_and_also_searched(browser, fixture_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(fixture_server.url + "/?q=Бшкек+уурдоо")
    link = WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".did-you-mean a")))
    assert link.text == "Бишкек уурдоо"
    assert "Муну издедиңизби" in browser.find_element(By.CSS_SELECTOR, ".did-you-mean").text
    link.click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "li.hit")))
    assert browser.find_element(By.NAME, "q").get_attribute("value") == "Бишкек уурдоо"
    assert not browser.find_elements(By.CSS_SELECTOR, ".did-you-mean")
    browser.get(fixture_server.url + "/?q=ГКНБ")
    shown = WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".expansions"))).text
    assert shown.startswith("Ошондой эле изделди") and "УКМК" in shown
    marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "li.hit mark")]
    assert "УКМКнын" in marks or "УКМК" in marks


@pytest.mark.slow
def test_corpus_unquoted_russian_name_is_searched_as_its_phrase(corpus_engine):
    quoted = corpus_engine.search('"злоупотребление должностным положением"')
    assert quoted["total"] > 0 and quoted["corrected_from"] is None
    typed = corpus_engine.search("злоупотребление должностным положением")
    assert typed["did_you_mean"] == '"злоупотребление должностным положением"'
    assert typed["corrected_from"] == "злоупотребление должностным положением"
    assert ids(typed) == ids(quoted)
    # Kyrgyz names typed unquoted that find documents are left alone
    assert corpus_engine.search("Башкы прокуратура")["did_you_mean"] is None
