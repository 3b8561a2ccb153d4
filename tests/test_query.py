"""Query parsing: the syntax users type, and malformed input that must never raise."""
import pytest
from hypothesis import given, settings, strategies as st

from search.query import Atom, parse


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
    ("foo:коррупция", [[("word", "foo:коррупция", None)]]),
    ("«Ата-Журт»", [[("phrase", "Ата-Журт", None)]]),
    ("title:\"Тоң району\"", [[("phrase", "Тоң району", "title")]]),
])
def test_malformed_input_is_read_as_plain_words(q, expected):
    assert atoms(q)[0] == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('аңөү "-*:()OR NOTtitle«»\\')), max_size=40))
def test_parser_never_raises(text):
    parse(text)
