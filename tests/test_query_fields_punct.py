"""Query parsing: field prefixes before groups or a space, unknown fields, words glued by
punctuation, deep nesting (search/query.py)."""
import pytest

from indexer.analysis import analyze
from search.query import MAX_DEPTH, Atom, Node, parse, to_text


def W(text, field=None):
    return Atom("word", text, field)


def units(q):
    t = parse(q).tree
    return t.children if t is not None else None


def tokens(q):
    return [[t.text for t in analyze(a.text, "query")] for a in parse(q).positive_atoms()]


def kinds(q):
    return sorted({n["kind"] for n in parse(q).notes})


# -- 1. a field before a group, a field with nothing right after it --

@pytest.mark.parametrize("q, expected", [
    ("title:(коррупция)", [W("коррупция", "title")]),
    ("title:(коррупция сот)", [Node("and", [W("коррупция", "title"), W("сот", "title")])]),
    ("title:(коррупция OR сот) пара", [Node("or", [W("коррупция", "title"), W("сот", "title")]), W("пара")]),
    ("title:(коррупция body:сот)", [Node("and", [W("коррупция", "title"), W("сот", "body")])]),
    ('title:("Тоң району" корруп*)', [Node("and", [Atom("phrase", "Тоң району", "title"),
                                                   Atom("prefix", "корруп", "title")])]),
    ("title:(коррупция -пара)", [Node("and", [W("коррупция", "title"), Node("not", [W("пара", "title")])])]),
    ("-title:(пара) коррупция", [Node("not", [W("пара", "title")]), W("коррупция")]),
    ("+body:(сот) коррупция", [Node("required", [W("сот", "body")]), W("коррупция")]),
    ("TITLE:(сот)", [W("сот", "title")]),
    ("title:(a (b OR c))", [Node("and", [W("a", "title"), Node("or", [W("b", "title"), W("c", "title")])])]),
])
def test_field_before_a_group_applies_to_every_term(q, expected):
    assert units(q) == expected
    assert kinds(q) == []
    assert parse(to_text(parse(q).tree)).tree == parse(q).tree


@pytest.mark.parametrize("q, expected", [
    ("title: коррупция", [W("коррупция")]),
    ("коррупция title:", [W("коррупция")]),
    ("body:  коррупция сот", [W("коррупция"), W("сот")]),
    ("(коррупция title:)", [W("коррупция")]),
    ("-title: коррупция", [W("коррупция")]),
])
def test_a_field_with_nothing_right_after_it_is_dropped_with_a_note(q, expected):
    p = parse(q)
    assert units(q) == expected
    assert kinds(q) == ["stray_operator"]
    assert not any(a.text.lower() in ("title", "body") for a in p.positive_atoms())
    msg = next(n["message"] for n in p.notes if n["kind"] == "stray_operator")
    assert msg.startswith(("title:", "body:")) and "ignored" in msg


@pytest.mark.parametrize("q", ["title:", "body:", "title: ", "title:()", "title:( )"])
def test_a_field_alone_is_nothing_to_search(q):
    p = parse(q)
    assert p.tree is None and not p.blank
    assert "nothing_to_search" in kinds(q)


# -- 2. unknown field prefixes: text, said in a note --

@pytest.mark.parametrize("q, words", [
    ("foo:коррупция", ["foo", "коррупция"]),
    ("заголовок:коррупция", ["заголовок", "коррупция"]),
    ("коррупция:сот", ["коррупция", "сот"]),
    ("Бишкек:сот", ["Бишкек", "сот"]),
    ("foo:(коррупция)", ["foo", "коррупция"]),
])
def test_an_unknown_field_is_text_and_said_in_a_note(q, words):
    p = parse(q)
    assert units(q) == [W(w) for w in words]
    assert kinds(q) == ["unknown_field"]
    note = next(n for n in p.notes if n["kind"] == "unknown_field")
    assert note["message"].startswith(words[0] + ":") and "title:" in note["message"]


def test_an_unknown_field_before_a_phrase_or_with_a_sign():
    assert units('foo:"Тоң району"') == [W("foo"), Atom("phrase", "Тоң району")]
    assert units("-foo:коррупция сот") == [Node("not", [W("foo")]), W("коррупция"), W("сот")]
    assert kinds('foo:"Тоң району"') == ["unknown_field"]


def test_a_word_and_a_colon_then_a_space_is_plain_text():
    assert units("Бишкек: сот") == [W("Бишкек"), W("сот")]
    assert kinds("Бишкек: сот") == []


def test_known_fields_still_work():
    assert units("title:коррупция body:\"Тоң району\"") == [W("коррупция", "title"),
                                                           Atom("phrase", "Тоң району", "body")]
    assert kinds("title:коррупция") == []


# -- 3. words glued by punctuation are separate words --

@pytest.mark.parametrize("q, words", [
    ("коррупция,сот", ["коррупция", "сот"]),
    ("пара,сот", ["пара", "сот"]),
    ("коррупция/сот", ["коррупция", "сот"]),
    ("коррупция;сот", ["коррупция", "сот"]),
    ("коррупция|сот", ["коррупция", "сот"]),
    ("коррупция,сот,пара", ["коррупция", "сот", "пара"]),
    ("коррупция,,сот", ["коррупция", "сот"]),
    ("Жалал-Абад,Ысык-Көл", ["Жалал-Абад", "Ысык-Көл"]),
    ("коррупция,сот,", ["коррупция", "сот,"]),
])
def test_glued_words_are_separate_words(q, words):
    assert units(q) == [W(w) for w in words]
    spaced = q.replace(",", ", ").replace("/", " / ").replace(";", "; ").replace("|", " | ")
    assert tokens(q) == tokens(spaced)        # as if typed with a space
    assert kinds(q) == []
    for a in parse(q).positive_atoms():     # each atom is one analyzer token: a word, not a phrase
        assert len(analyze(a.text, "query")) == 1


def test_glued_words_keep_the_sign_and_field_on_the_first_word():
    assert units("-пара,сот коррупция") == [Node("not", [W("пара")]), W("сот"), W("коррупция")]
    assert units("title:коррупция,сот") == [W("коррупция", "title"), W("сот")]
    assert units("корруп*,сот") == [Atom("prefix", "корруп"), W("сот")]
    assert units("title:коррупция,body:сот") == [W("коррупция", "title"), W("сот", "body")]


@pytest.mark.parametrize("q", ["Жалал-Абад", "Ысык-Көл", "премьер-министр", "O'Brien", "Кыргызстан’да",
                               "т.б.", "5,5", "1.5", "24.kg", "12.03.2024", "10:30", "коррупция,5",
                               "2024/25"])
def test_words_and_numbers_with_inner_punctuation_stay_as_they_are(q):
    assert units(q) == [W(q)]
    assert kinds(q) == []


def test_glued_words_inside_a_phrase_stay_a_phrase():
    assert units('"коррупция,сот"') == [Atom("phrase", "коррупция,сот")]


# -- 4. deep nesting --

@pytest.mark.parametrize("n", [1, 50, 51, 63, 64])
def test_balanced_nesting_up_to_the_limit_has_no_note(n):
    p = parse("(" * n + "сот" + ")" * n)
    assert p.notes == [] and units("(" * n + "сот" + ")" * n) == [W("сот")]


@pytest.mark.parametrize("n", [MAX_DEPTH + 1, 100, 499, 5000])
def test_deeper_nesting_is_flattened_with_its_own_note(n):
    q = "(" * n + "сот" + ")" * n + " коррупция"
    p = parse(q)
    assert units(q) == [W("сот"), W("коррупция")]
    assert kinds(q) == ["nesting_too_deep"]
    assert str(MAX_DEPTH) in p.notes[0]["message"]


def test_deep_nesting_keeps_its_structure_up_to_the_limit():
    n = 70
    q = "".join(f"(a{i} OR b{i} " for i in range(n)) + "x" + ")" * n
    p = parse(q)
    assert kinds(q) == ["nesting_too_deep"]
    node, depth = p.tree.children[0], 0
    while isinstance(node, Node) and node.op == "and":
        depth += 1
        node = node.children[-1]
    assert depth == MAX_DEPTH                # one group per level, the deeper ones read into the last
    assert to_text(p.tree)                   # written back without recursion trouble


def test_unbalanced_beyond_the_limit_is_still_said():
    assert kinds("(" * 100 + "сот") == ["nesting_too_deep", "unbalanced_parenthesis"]
    assert kinds("сот" + ")" * 100) == ["unbalanced_parenthesis"]
    assert kinds("(" * 100 + "сот" + ")" * 101) == ["nesting_too_deep", "unbalanced_parenthesis"]


def test_long_runs_of_operators_do_not_recurse():
    assert units("NOT " * 5000 + "сот") == [W("сот")]
    assert units("NOT " * 5001 + "сот") == [Node("not", [W("сот")])]
    assert units("title:(" * 3000 + "сот" + ")" * 3000) == [W("сот", "title")]
    assert len(units("a," * 20000 + "b")) == 20001
