"""Query parsing: the syntax users type, and malformed input that must never raise."""
import pytest
from hypothesis import given, settings, strategies as st

from search.query import Atom, Node, parse, to_text


def atoms(q):
    p = parse(q)
    return [[(a.kind, a.text, a.field) for a in c.alternatives] for c in p.clauses], \
           [(a.kind, a.text, a.field) for a in p.excluded]


def test_words_phrases_or_not_field_prefix():
    clauses, excluded = atoms('коррупция "мамлекеттик органдар" сот OR прокуратура -пара NOT акча title:район корруп*')
    assert clauses == [
        [("word", "коррупция", None)],
        [("phrase", "мамлекеттик органдар", None)],
        [("word", "сот", None), ("word", "прокуратура", None)],
        [("word", "район", "title")],
        [("prefix", "корруп", None)],
    ]
    assert excluded == [("word", "пара", None), ("word", "акча", None)]


@pytest.mark.parametrize("q, expected", [
    ('"коррупция район', [[("word", "коррупция", None)], [("word", "район", None)]]),
    ("OR коррупция OR", [[("word", "коррупция", None)]]),
    ("коррупция NOT", [[("word", "коррупция", None)]]),
    ("- коррупция", [[("word", "коррупция", None)]]),
    ('""', []),
    ("*", []),
    ("foo:коррупция", [[("word", "foo", None)], [("word", "коррупция", None)]]),   # an unknown field: two words, a note
    ("«Ата-Журт»", [[("phrase", "Ата-Журт", None)]]),
    ("title:\"Тоң району\"", [[("phrase", "Тоң району", "title")]]),
])
def test_malformed_input_is_read_as_plain_words(q, expected):
    assert atoms(q)[0] == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('аңөү "-*:()OR NOTtitle«»\\')), max_size=40))
def test_parser_never_raises(text):
    parse(text)


def W(text, field=None):
    return Atom("word", text, field)


def tree(q):
    return parse(q).tree


# input → the units of the top-level AND (precedence NOT/-/+ > OR > AND)
@pytest.mark.parametrize("q, units", [
    ("коррупция сот", [W("коррупция"), W("сот")]),
    ("коррупция сот OR прокуратура", [W("коррупция"), Node("or", [W("сот"), W("прокуратура")])]),
    ("коррупция AND сот", [Node("and", [W("коррупция"), W("сот")], written=True)]),
    ("a b AND c", [W("a"), Node("and", [W("b"), W("c")], written=True)]),
    ("a AND b OR c", [Node("and", [W("a"), Node("or", [W("b"), W("c")])], written=True)]),
    ("(a OR b) c", [Node("or", [W("a"), W("b")]), W("c")]),
    ("a (b c)", [W("a"), Node("and", [W("b"), W("c")])]),
    ("(a OR b) AND (c OR d)", [Node("and", [Node("or", [W("a"), W("b")]), Node("or", [W("c"), W("d")])],
                                    written=True)]),
    ("a -b", [W("a"), Node("not", [W("b")])]),
    ("a NOT b", [W("a"), Node("not", [W("b")])]),
    ("NOT a OR b", [Node("or", [Node("not", [W("a")]), W("b")])]),
    ("-(a OR b) c", [Node("not", [Node("or", [W("a"), W("b")])]), W("c")]),
    ("+a b", [Node("required", [W("a")]), W("b")]),
    ("NOT NOT a", [W("a")]),
    ('title:"Тоң району" -body:пара', [Atom("phrase", "Тоң району", "title"), Node("not", [W("пара", "body")])]),
    ("корруп* сот", [Atom("prefix", "корруп"), W("сот")]),
    # junk read sensibly
    ("OR коррупция OR", [W("коррупция")]),
    ("коррупция AND", [W("коррупция")]),
    ("AND коррупция", [W("коррупция")]),
    ("коррупция OR OR сот", [Node("or", [W("коррупция"), W("сот")])]),
    ("коррупция NOT", [W("коррупция")]),
    ("((коррупция", [W("коррупция")]),
    ("коррупция)) сот", [W("коррупция"), W("сот")]),
    ("(коррупция OR (сот", [Node("or", [W("коррупция"), W("сот")])]),
    ("() коррупция", [W("коррупция")]),
    ('"коррупция сот', [W("коррупция"), W("сот")]),
    ("премьер-министр", [W("премьер-министр")]),
    ("к* сот", [W("к"), W("сот")]),
])
def test_precedence_and_junk(q, units):
    t = tree(q)
    assert t is not None and t.op == "and"
    assert t.children == units


@pytest.mark.parametrize("q, kinds", [
    ("...", ["nothing_to_search"]),
    ("!!! ???", ["nothing_to_search"]),
    ("AND OR NOT", ["nothing_to_search", "stray_operator"]),
    ("( )", ["nothing_to_search"]),
    ("OR коррупция", ["stray_operator"]),
    ("((коррупция", ["unbalanced_parenthesis"]),
    ('"коррупция', ["unbalanced_quote"]),
    ("к* сот", ["prefix_too_short"]),
    ("коррупция сот", []),
])
def test_junk_is_said_in_notes(q, kinds):
    p = parse(q)
    assert sorted({n["kind"] for n in p.notes}) == sorted(kinds)
    assert all(n["message"] for n in p.notes)
    if "nothing_to_search" in kinds:
        assert p.tree is None and not p.blank


def test_blank_is_not_nothing_to_search():
    assert parse("   ").blank and not parse("   ").notes and parse("...").blank is False


@pytest.mark.parametrize("q", ["коррупция (сот OR прокуратура) -пара", "(a AND b) OR c", '+title:"a b" c*',
                               "a OR -b", "-(a b)"])
def test_written_back_and_read_again_is_the_same_tree(q):
    assert tree(to_text(tree(q))) == tree(q)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('аңсөү "-+*:,;/|()ORANDNOTtitlebodyfoo«»5.\'\\')), max_size=60))
def test_parser_never_raises_and_never_returns_an_empty_node(text):
    p = parse(text)
    def check(node):
        if isinstance(node, Node):
            assert node.children
            for c in node.children:
                check(c)
    if p.tree is not None:
        check(p.tree)
    assert all(n["message"] for n in p.notes)
