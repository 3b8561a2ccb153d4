"""The analyzer: tokenizer, normalizer, compounds, modes, offsets, stop words, pickling."""
from __future__ import annotations

import pickle

import pytest

from indexer import analysis
from indexer.analysis import (ANALYZER, ANALYZER_VERSION, analyze, fold, has_kyrgyz_letters,
                              is_stopword, normalize, stem)


def texts(text, mode="index"):
    return [t.text for t in analyze(text, mode)]


def spans(text, mode="index"):
    return [(t.text, t.pos, text[t.start:t.end]) for t in analyze(text, mode)]


# ----------------------------------------------------------------- tokenizer
def test_kyrgyz_letters_and_capitals():
    assert texts("ҮЙЛӨРҮ Өкмөттүн Ңи") == ["үй", "өкмөт", "ңи"]


def test_hyphen_compound_index_mode_whole_and_parts_on_consecutive_positions():
    assert spans("Ысык-Көлдө жаңы жол") == [
        ("ысык-көл", 0, "Ысык-Көлдө"), ("ысык", 0, "Ысык"), ("көл", 1, "Көлдө"),
        ("жаңы", 2, "жаңы"), ("жол", 3, "жол")]


def test_hyphen_compound_query_mode_whole_only():
    assert spans("Жалал-Абад облусу", "query") == [("жалал-абад", 0, "Жалал-Абад"), ("облус", 1, "облусу")]


def test_hyphen_compound_phrase_mode_parts_only_line_up_with_index():
    phrase = analyze("иш-аракеттерин жүргүзүү", "phrase")
    assert [(t.text, t.pos) for t in phrase] == [("иш", 0), ("аракет", 1), (stem("жүргүзүү"), 2)]
    index = {(t.text, t.pos) for t in analyze("иш-аракеттерин жүргүзүү")}
    assert {(t.text, t.pos) for t in phrase} <= index


def test_number_with_suffix():
    assert spans("2025-жылдын 28-апрелинде") == [
        ("2025", 0, "2025"), ("жыл", 1, "жылдын"), ("28", 2, "28"), (stem("апрелинде"), 3, "апрелинде")]
    assert texts("2025-жылдын", "query") == ["2025", "жыл"]


@pytest.mark.parametrize("word,expected", [
    ("УКМКнын", "укмк"), ("ИИМдин", "иим"), ("КРдин", "кр"), ("ЖККга", "жкк"), ("БУУда", "буу"),
    ("ГЭСтерди", "гэс"), ("ГЭСинде", "гэс"), ("УКМК-нын", "укмк"), ("УКМК", "укмк"),
])
def test_abbreviation_with_case_ending(word, expected):
    assert texts(word) == [expected]


def test_abbreviation_keeps_offsets_of_the_whole_word():
    text = "УКМКнын маалыматы"
    assert spans(text) == [("укмк", 0, "УКМКнын"), ("маалымат", 1, "маалыматы")]


def test_sentences_glued_without_space():
    assert spans("айтылууда.Климат") == [(stem("айтылууда"), 0, "айтылууда"), ("климат", 1, "Климат")]


def test_quotes_number_sign_punctuation():
    assert texts("«Ала-Тоо» №137 (Ош)") == ["ала-тоо", "ала", "тоо", "137", "ош"]


def test_soft_hyphen_and_zero_width_inside_a_word():
    # invisible characters never split a word: what the reader sees (кызматы, жанабашка) is
    # what is indexed
    text = "кыз\u00adматы жана\u200bбашка \u200bОш"
    got = spans(text)
    assert [g[0] for g in got] == ["кызмат", stem("жанабашка"), "ош"]
    assert got[0][2] == "кыз\u00adматы"           # offsets cover the original, invisible char included
    assert got[2][2] == "Ош"                      # a leading zero-width char is not part of the word


def test_offsets_point_into_the_original_text():
    text = "«Тонский район» — Ысык-Көл облусунун 2025-жылдагы УКМКнын иш-аракеттери."
    for t in analyze(text):
        piece = text[t.start:t.end]
        assert piece and piece[0].isalnum() and piece[-1].isalnum(), (t, piece)
        assert "-" not in piece or t.text.count("-") == piece.count("-")


def test_compound_with_invisible_character_keeps_part_offsets():
    text = "Ысык-Кө\u00adлдө"
    got = spans(text)
    assert got == [("ысык-көл", 0, text), ("ысык", 0, "Ысык"), ("көл", 1, "Кө\u00adлдө")]


def test_positions_after_a_compound_are_shifted_in_index_mode_only():
    text = "Жалал-Абад шаарында иш-аракет болду"
    idx = [(t.text, t.pos) for t in analyze(text)]
    assert ("шаар", 2) in idx and ("бол", 5) in idx
    qry = [(t.text, t.pos) for t in analyze(text, "query")]
    assert qry == [("жалал-абад", 0), ("шаар", 1), ("иш-аракет", 2), ("бол", 3)]


def test_stop_words_are_indexed():
    assert texts("жана менен үчүн") == ["жана", "менен", "үчүн"]


# ----------------------------------------------------------------- normalization
def test_latin_lookalikes_inside_cyrillic_words_are_repaired():
    assert normalize("aйдoo") == "айдоо"               # Latin a, o
    assert stem("aйдaймын") == stem("айдаймын")
    assert normalize("Kызмат") == "кызмат"
    assert normalize("kg") == "kg"                       # an all-Latin word is left alone


@pytest.mark.parametrize("typed, expected", [
    ("жаӊы", "жаңы"),            # U+04CA en with tail (24.kg has it)
    ("ЖАӉЫ", "жаңы"),
    ("жаҥы", "жаңы"),            # U+04A5 ligature en ghe
    ("чоӈ", "чоң"),              # U+04C8 en with hook
    ("Ѳкмѳт", "өкмөт"),          # U+0472 / U+0473 fita
    ("Ӧкмӧт", "өкмөт"),          # Altai o with diaeresis
    ("о\u0308кмо\u0308т", "өкмөт"),  # the same, decomposed
    ("кӱбӧ", "күбө"),            # Altai u with diaeresis
    ("мɵɵнɵт", "мөөнөт"),        # Latin barred o inside a Cyrillic word
    ("бöлүм", "бөлүм"),          # Latin o / u with diaeresis inside a Cyrillic word
    ("күбüлүк", "күбүлүк"),
])
def test_letters_standing_for_kyrgyz_letters_are_read_as_them(typed, expected):
    assert normalize(typed) == expected
    assert stem(typed) == stem(expected)


def test_latin_words_keep_their_diaeresis_and_barred_o():
    assert normalize("Müller") == "müller"
    assert normalize("Gözde") == "gözde"
    assert normalize("ɵ") == "ɵ"


def test_letter_variants_keep_offsets_and_positions():
    text = "Кеӊештин жаӊы мыйзамы"
    assert [(t.text, t.pos, t.start, t.end) for t in analyze(text)] == \
        [(t.text, t.pos, t.start, t.end) for t in analyze("Кеңештин жаңы мыйзамы")]
    assert [text[t.start:t.end] for t in analyze(text)] == ["Кеӊештин", "жаӊы", "мыйзамы"]


def test_nfc_and_yo():
    assert normalize("и\u0306") == "й"                   # decomposed й
    assert normalize("Ёлка") == "елка"
    assert texts("е\u0308лка") == texts("елка")


def test_unicode_lowercase_of_kyrgyz_capitals():
    assert normalize("ҢӨҮ") == "ңөү"


def test_fold_and_kyrgyz_letters():
    assert fold("Көргөзмө Үңкүр") == "Коргозмо Ункур"
    assert has_kyrgyz_letters("өлкө") and not has_kyrgyz_letters("район")


def test_stem_is_what_an_indexed_word_goes_through():
    for word in ("Районунда", "аймагындагы", "коррупцияга", "Ысык-Көлдө", "УКМКнын", "aйдoo",
                 "кыз\u00adматы", "государственного", "иш-аракеттери"):
        assert texts(word, "query") == [stem(word)]


def test_stem_never_empty_never_longer():
    for word in ("а", "ы", "да", "жана", "", "123", "Ош", "kg", "№"):
        s = stem(word)
        assert len(s) <= len(word)
        if word:
            assert s


# ----------------------------------------------------------------- stop words
@pytest.mark.parametrize("word", ["жана", "Менен", "боюнча", "үчүн", "учун", "бул", "да", "де",
                                  "и", "на", "которые"])
def test_stopwords(word):
    assert is_stopword(word)


@pytest.mark.parametrize("word", ["коррупция", "район", "пара", "сот", "аймак", "Ош"])
def test_content_words_are_not_stopwords(word):
    assert not is_stopword(word)


# ----------------------------------------------------------------- whoosh integration
def test_analyzer_pickles_and_gives_the_same_terms():
    again = pickle.loads(pickle.dumps(ANALYZER))
    text = "Ысык-Көлдө 2025-жылдын УКМКнын маалыматы"
    a = [(t.text, t.pos, t.startchar, t.endchar) for t in ANALYZER(text, positions=True, chars=True)]
    b = [(t.text, t.pos, t.startchar, t.endchar) for t in again(text, positions=True, chars=True)]
    assert a == b and a


def test_analyzer_in_a_whoosh_schema(tmp_path):
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import QueryParser

    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=ANALYZER, phrase=True))
    ix = index.create_in(tmp_path, schema)
    with ix.writer() as w:
        w.add_document(id="1", body="Тон районунда коррупцияга каршы иш-аракеттер жүргүзүлдү")
        w.add_document(id="2", body="Ысык-Көл облусунун аймагындагы мектептер")
    ix = index.open_dir(tmp_path)      # the schema (and the analyzer) comes back from a pickle
    with ix.searcher() as s:
        def ids(q):
            return sorted(h["id"] for h in s.search(QueryParser("body", ix.schema).parse(q)))
        assert ids("району") == ["1"]
        assert ids("коррупциялык") == ["1"]
        assert ids("аймак") == ["2"]
        assert ids('"Көл облусу"') == ["2"]
        assert ids('"иш-аракет"') == ["1"]


def test_analyzer_version_is_a_string():
    assert isinstance(ANALYZER_VERSION, str) and ANALYZER_VERSION


def test_caches_are_bounded():
    assert analysis._stem_normalized.cache_info().maxsize
