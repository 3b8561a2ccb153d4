"""Highlighting: the fast per-word path gives exactly the analyzer's terms; marks and escaping."""
import json

import pytest

from search.highlight import TermMatcher, analyzer_tokens, find_spans, highlight_all, index_tokens, snippet
from tests.conftest import CORPUS, require_corpus


def test_memoized_tokens_equal_the_analyzer_over_the_real_corpus():
    require_corpus()
    with open(CORPUS, encoding="utf-8") as fh:
        bodies = [json.loads(line)["body"] for line in fh][:400]
    for body in bodies:
        assert index_tokens(body) == analyzer_tokens(body)


@pytest.mark.parametrize("text", [
    "Ысык-Көл облусундагы 2025-жылдын 9-декабрында УКМКнын «коррупция» №137 айтылууда.Климат",
    "сай\u00adты коррупция\u200bга aйдoo Жалал-Абад шаарында ИИМ-дин",
])
def test_memoized_tokens_equal_the_analyzer_on_hard_cases(text):
    assert index_tokens(text) == analyzer_tokens(text)
    assert index_tokens(text) == analyzer_tokens(text)     # second time from the memo


def test_compound_marked_whole_and_parts_not_twice():
    text = "Ысык-Көл облусу"
    spans = find_spans(text, TermMatcher(frozenset({"ысык-көл", "көл"})))
    assert [(text[a:b]) for a, b, _ in spans] == ["Ысык-Көл"]
    assert highlight_all(text, TermMatcher(frozenset({"көл"}))) == "Ысык-<mark>Көл</mark> облусу"


def test_snippet_escapes_and_centres_on_matches():
    body = "Кириш сөз. " * 40 + "Прокуратура <b>коррупцияга</b> каршы иш козгоду. " + "Аяк. " * 40
    out = snippet(body, TermMatcher(frozenset({"коррупция"})))
    assert "<mark>коррупцияга</mark>" in out and "&lt;b&gt;" in out and "<b>" not in out
    assert out.startswith("… ") and out.endswith(" …") and len(out) < 400
    assert snippet("Жөн текст.", TermMatcher(frozenset())) == "Жөн текст."
