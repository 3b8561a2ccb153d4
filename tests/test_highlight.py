"""Highlighting: the fast per-word path gives exactly the analyzer's terms; marks and escaping;
the fast chunk path gives exactly what the old token-by-token implementation gave."""
import json
import random
import re
from html import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import analysis
from indexer.analysis import TOKEN_RE, analyze
from search import highlight
from search.highlight import (SNIPPET_CHARS, Fragment, HtmlFormatter, TerminalFormatter, TermMatcher,
                              analyzer_tokens, find_spans, highlight_all, highlight_fragment, index_tokens,
                              snippet, snippet_fragment)
from tests.helpers import CORPUS, require_corpus

# -- the reference: the straightforward implementation this module had before it got fast ----
# (token by token over TOKEN_RE.finditer, the analyzer's terms of each raw word memoized;
# snippet windows scored (distinct terms, matches, earlier) by a scan over all spans).
# bench/highlight_bench.py times it against the fast one.

_REF_MEMO: dict = {}


def mark(text, spans):
    """The HTML the pages have always shown: escaped text, each span in <mark>."""
    out = []
    pos = 0
    for start, end, _ in spans:
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)
_REF_SENTENCE_RE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")


def ref_index_tokens(text, matcher=None):
    keep = matcher.matches if matcher is not None else None
    out = []
    for m in TOKEN_RE.finditer(text):
        word = m.group()
        parts = _REF_MEMO.get(word)
        if parts is None:
            parts = _REF_MEMO[word] = tuple(analyzer_tokens(word))
        start = m.start()
        for a, b, term in parts:
            if keep is None or keep(term):
                out.append((start + a, start + b, term))
    return out


def ref_find_spans(text, matcher):
    if not matcher or not text:
        return []
    spans = ref_index_tokens(text, matcher)
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged = []
    for start, end, term in spans:
        if merged and start < merged[-1][1]:
            continue
        merged.append((start, end, term))
    return merged


def ref_highlight_all(text, matcher):
    return mark(text, ref_find_spans(text, matcher))


def ref_snippet(text, matcher, size=SNIPPET_CHARS):
    spans = ref_find_spans(text, matcher) if matcher else []
    if not spans:
        return escape(highlight._shorten(text, 0, size))
    sentences = [(m.start(), m.end()) for m in _REF_SENTENCE_RE.finditer(text) if m.group().strip()]
    best = None
    for i, (s_start, _) in enumerate(sentences):
        w_end = sentences[i][1]
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - s_start <= size:
            j += 1
            w_end = sentences[j][1]
        inside = [sp for sp in spans if sp[0] >= s_start and sp[1] <= w_end]
        if not inside:
            continue
        score = (len({sp[2] for sp in inside}), len(inside), -s_start)
        if best is None or score > best[0]:
            best = (score, s_start, w_end)
    if best is None:
        start = max(0, spans[0][0] - size // 3)
        end = start + size
    else:
        _, start, end = best
        if end - start > size:
            first = next(sp for sp in spans if sp[0] >= start)
            start = max(start, first[0] - size // 3)
            end = start + size
    start, end = highlight._word_bounds(text, start, end)
    inside = [sp for sp in spans if sp[0] >= start and sp[1] <= end]
    body = mark(text[start:end], [(a - start, b - start, t) for a, b, t in inside]).strip()
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text.rstrip()) else ""
    return prefix + body + suffix


def query_terms(words):
    return frozenset(t.text for w in words for t in analyze(w, "query"))


def corpus_matchers(articles, seed=7, per_article=6):
    """Typical matchers from the corpus' own words: one term, several, prefixes, compounds,
    terms absent from the text, common short stems."""
    rng = random.Random(seed)
    out = [TermMatcher(frozenset({"жыл"})), TermMatcher(frozenset({"кыргызстан", "бишкек"})),
           TermMatcher(frozenset({"ысык-көл", "көл", "ош"})), TermMatcher(frozenset(), ("кыргыз",)),
           TermMatcher(frozenset({"сот"}), ("президент", "ж")), TermMatcher(frozenset({"жок-жок-жок"}))]
    for art in articles:
        words = TOKEN_RE.findall(art["title"] + " " + art["body"])
        if not words:
            continue
        compounds = [w for w in words if "-" in w]
        for _ in range(per_article):
            kind = rng.randrange(5)
            if kind == 0:
                terms = query_terms([rng.choice(words)])
                out.append(TermMatcher(terms))
            elif kind == 1:
                terms = query_terms(rng.sample(words, min(3, len(words))))
                out.append(TermMatcher(terms))
            elif kind == 2:
                stem = next(iter(query_terms([rng.choice(words)])), "а")
                out.append(TermMatcher(frozenset(), (stem[:rng.randint(1, max(1, len(stem)))],)))
            elif kind == 3 and compounds:
                word = rng.choice(compounds)
                parts = [t.text for t in analyze(word, "index")]
                out.append(TermMatcher(frozenset(rng.sample(parts, rng.randint(1, len(parts))))))
            else:
                out.append(TermMatcher(query_terms([rng.choice(words)]) | {"жокбулсөз"}))
    return out


def load_articles(n):
    """The first ``n`` articles; the corpus has no titles, the first sentence stands in."""
    require_corpus()
    with open(CORPUS, encoding="utf-8") as fh:
        articles = [json.loads(line) for line in fh][:n]
    for art in articles:
        art.setdefault("title", re.split(r"(?<=[.!?])\s", art["body"], maxsplit=1)[0][:150])
    return articles


# -- the analyzer's terms -------------------------------------------------------------------

def test_memoized_tokens_equal_the_analyzer_over_the_real_corpus():
    for art in load_articles(400):
        body = art["body"]
        assert index_tokens(body) == analyzer_tokens(body)


@pytest.mark.parametrize("text", [
    "Ысык-Көл облусундагы 2025-жылдын 9-декабрында УКМКнын «коррупция» №137 айтылууда.Климат",
    "сай\u00adты коррупция\u200bга aйдoo Жалал-Абад шаарында ИИМ-дин",
    "аба\u00a0ырайы\u2028Бишкек\u3000шаары\u202fжана\u0085Ош\t\n  ",
])
def test_memoized_tokens_equal_the_analyzer_on_hard_cases(text):
    assert index_tokens(text) == analyzer_tokens(text)
    assert index_tokens(text) == analyzer_tokens(text)     # second time from the memo


def test_plain_token_terms_is_the_analyzers_one_token_or_none():
    """The shortcut highlighting takes for a plain word: exactly the analyzer's one token
    over the whole word, and None for whatever the analyzer reads otherwise."""
    words = set()
    for art in load_articles(200):
        words.update(TOKEN_RE.findall(art["body"]))
        words.update(art["body"].split()[:300])          # chunks with punctuation too
    words.update(["Ысык-Көл", "УКМКнын", "ИИМ-дин", "2025-жылдын", "сай\u00adты", "aйдoo", "«коррупция»",
                  "", " ", "...", "12", "жаӊы"])
    seen_plain = seen_none = 0
    for word in sorted(words):
        got = analysis.plain_token_terms(word)
        tokens = analyzer_tokens(word)
        if TOKEN_RE.fullmatch(word):              # what highlighting passes: one whole token
            assert analysis.plain_token_terms(word, is_token=True) == got, word
        if got is None:
            seen_none += 1
            continue
        seen_plain += 1
        assert tokens == [(0, len(word), got[1])], word
    assert seen_plain > 1000 and seen_none > 100
    assert analysis.plain_token_terms("Ысык-Көл") is None          # a compound: the analyzer's work
    assert analysis.plain_token_terms("сот,") is None               # not one token


def test_word_parts_run_the_analyzer_when_it_is_composed_otherwise(monkeypatch):
    monkeypatch.setattr(analysis, "_FUSED", False)
    monkeypatch.setattr(highlight, "_TOKEN_MEMO", {})
    assert analysis.plain_token_terms("коррупцияга") is None
    assert highlight._word_parts("коррупцияга") == tuple(analyzer_tokens("коррупцияга"))


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


# -- the fast path gives exactly the old output -----------------------------------------------

def test_fast_path_equals_the_old_implementation_over_the_real_corpus():
    articles = load_articles(300)
    matchers = corpus_matchers(articles[:120])
    rng = random.Random(11)
    checked = marked = 0
    for i, art in enumerate(articles):
        # the article's own matchers, its neighbours' (mostly absent terms) and a few fixed ones
        pool = matchers[:6] + matchers[6 + 6 * (i % 120):6 + 6 * (i % 120) + 6] + rng.sample(matchers, 4)
        for m in pool:
            for text in (art["title"], art["body"]):
                spans = find_spans(text, m)
                assert index_tokens(text, m) == ref_index_tokens(text, m)
                assert spans == ref_find_spans(text, m)
                assert highlight_all(text, m) == ref_highlight_all(text, m)
                checked += 1
                marked += bool(spans)
            assert snippet(art["body"], m) == ref_snippet(art["body"], m)
            assert snippet(art["body"], m, size=80) == ref_snippet(art["body"], m, size=80)
    assert checked > 5000 and marked > checked // 6      # the matchers do match, often


def test_fast_path_equals_the_old_implementation_on_sentence_runs():
    # paragraphs with compounds, repeats of a matching chunk inside longer chunks and odd spaces
    text = ("Ысык-Көл. Көл жээгинде, (көл) көлдүн суусу «Көл»! Ысык-Көлгө 2025-жылы\u00a0Көл-Көл\n"
            "жыл жылы жылдын, жыл. Жыл-жылы… Жыл\u2028жыл ?! жыл") * 3
    for terms, prefixes in [({"көл"}, ()), ({"ысык-көл"}, ()), ({"жыл"}, ()), (set(), ("жы", "кө")),
                            ({"көл", "жыл", "2025"}, ("ысык",)), ({"жок"}, ())]:
        m = TermMatcher(frozenset(terms), prefixes)
        assert find_spans(text, m) == ref_find_spans(text, m)
        for size in (20, 60, 260, 2000):
            assert snippet(text, m, size) == ref_snippet(text, m, size)


_ALPHABET = ("абвгдежзийклмнопрстуфхцчшщъыьэюяёңөү" "АБВГДЕЖКЛМНОПРСТУЫӨҮҢ" "abcxyzAOPX" "0123456789"
             "-\u2010\u2011\u2013—_" "\u00ad\u200b\u200c\u2060\ufeff\u0301\u0308" ".,!?…;:«»()\"'<>&"
             "      \u00a0\u2028\u3000\t\n\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=_ALPHABET, max_size=300), data=st.data())
def test_fast_path_equals_the_old_implementation_on_random_texts(text, data):
    assert index_tokens(text) == ref_index_tokens(text)
    terms = sorted({t for _, _, t in ref_index_tokens(text)})
    chosen = data.draw(st.lists(st.sampled_from(terms), max_size=4)) if terms else []
    extra = data.draw(st.lists(st.sampled_from(["жыл", "көл", "ысык-көл", "а", "1"]), max_size=2))
    prefixes = data.draw(st.lists(st.sampled_from([t[:2] for t in terms] or ["а"]), max_size=2))
    m = TermMatcher(frozenset(chosen + extra), tuple(prefixes))
    assert index_tokens(text, m) == ref_index_tokens(text, m)
    assert find_spans(text, m) == ref_find_spans(text, m)
    assert highlight_all(text, m) == ref_highlight_all(text, m)
    size = data.draw(st.sampled_from([10, 40, SNIPPET_CHARS]))
    assert snippet(text, m, size) == ref_snippet(text, m, size)


def test_the_chunk_path_is_on_and_the_token_path_agrees(monkeypatch):
    assert highlight._CHUNKED          # TOKEN_RE never takes white space: the fast path is used
    articles = load_articles(40)
    matchers = corpus_matchers(articles[:10])
    monkeypatch.setattr(highlight, "_CHUNKED", False)
    for art in articles:
        assert index_tokens(art["body"]) == ref_index_tokens(art["body"])
        for m in matchers[:20]:
            assert find_spans(art["body"], m) == ref_find_spans(art["body"], m)


def test_the_probe_refuses_a_token_regex_that_takes_white_space(monkeypatch):
    monkeypatch.setattr(highlight, "TOKEN_RE", re.compile(r"\w+(?:[ \u00a0]\w+)*"))
    assert not highlight._tokens_never_span_white_space()
    monkeypatch.setattr(highlight, "TOKEN_RE", re.compile(r"(\w+)"))
    assert not highlight._tokens_never_span_white_space()


def test_chunk_memo_replaced_when_full_keeps_results(monkeypatch):
    monkeypatch.setattr(highlight, "_CHUNK_MEMO_MAX", 5)
    monkeypatch.setattr(highlight, "_CHUNKS", highlight._ChunkMemo())
    text = "Бишкек шаарында жыл сайын көл жээгинде жыйын. Ысык-Көл облусу, жыл."
    m = TermMatcher(frozenset({"жыл", "көл"}), ("бишк",))
    for _ in range(3):
        assert find_spans(text, m) == ref_find_spans(text, m)
        assert index_tokens(text) == ref_index_tokens(text)


# -- exact terms before keyboard-fold variants -------------------------------------------------

def test_matcher_variants_field():
    m = TermMatcher(frozenset({"онуктур", "өнүктүр"}), (), frozenset({"өнүктүр"}))
    assert m.variants == {"өнүктүр"} and m.matches("өнүктүр") and m.matches("онуктур")
    assert hash(m) == hash(TermMatcher(frozenset({"онуктур", "өнүктүр"}), (), frozenset({"өнүктүр"})))
    assert TermMatcher(frozenset({"a"})).variants == frozenset()
    assert not TermMatcher(frozenset(), (), frozenset({"өнүктүр"}))     # variants alone match nothing
    with pytest.raises(Exception):
        m.variants = frozenset()


def test_snippet_prefers_a_sentence_with_the_exact_term_over_a_variant():
    filler = "Башка маалымат да айтылды. " * 12
    text = ("Өкмөт айыл чарбасын өнүктүрүү боюнча жаңы программаны кабыл алды. " + filler
            + "Эксперттер онуктуруу деген сөздү туура эмес жазышты. " + filler)
    exact, variant = "онуктур", "өнүктүр"
    plain = TermMatcher(frozenset({exact, variant}))
    folded = TermMatcher(frozenset({exact, variant}), (), frozenset({variant}))
    # without variants: one distinct term each, one match each → the earlier sentence, as before
    assert snippet(text, plain) == ref_snippet(text, plain)
    assert "<mark>өнүктүрүү</mark>" in snippet(text, plain)
    # with variants: the exact term wins although it comes later
    out = snippet(text, folded)
    assert "<mark>онуктуруу</mark>" in out and "өнүктүрүү" not in out
    # both still marked everywhere
    assert highlight_all(text, folded).count("<mark>") == 2


def test_snippet_exact_term_outweighs_more_variant_terms_and_more_variant_matches():
    filler = " Башка маалымат да айтылды." * 12
    text = ("Көлдө көл жээгинде көлдүн суусу тазаланды, Бишкекте." + filler
            + " Кол коюлду." + filler)
    m = TermMatcher(frozenset({"кол", "көл", "бишкек"}), (), frozenset({"көл", "бишкек"}))
    out = snippet(text, m)
    assert "<mark>Кол</mark>" in out and "<mark>Көлдө</mark>" not in out
    # among windows with the same exact terms, more distinct variant terms win
    text2 = "Кол көтөрүлдү." + filler + " Кол, көл жана Бишкек." + filler
    out2 = snippet(text2, m)
    assert "<mark>Бишкек</mark>" in out2


# -- spans and formatters: one fragment, rendered as HTML or as terminal text -------------------

def _text_of_html(html_text: str, style) -> str:
    """What the command line once did: the HTML snippet parsed back into text (the reference)."""
    from html import unescape
    return re.sub(r"<mark>(.*?)</mark>", lambda m: style(unescape(m.group(1))),
                  re.sub(r"[^<]+", lambda m: unescape(m.group()), html_text), flags=re.S)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=_ALPHABET, max_size=300), data=st.data())
def test_a_fragment_renders_as_the_html_and_as_its_text(text, data):
    terms = sorted({t for _, _, t in ref_index_tokens(text)})
    chosen = data.draw(st.lists(st.sampled_from(terms), max_size=3)) if terms else []
    m = TermMatcher(frozenset(chosen), tuple(data.draw(st.lists(st.sampled_from(["а", "жы"]), max_size=1))))
    size = data.draw(st.sampled_from([10, 40, SNIPPET_CHARS]))
    frag = snippet_fragment(text, m, size)
    assert HtmlFormatter().format(frag) == ref_snippet(text, m, size)
    marks = list(frag.marks)
    assert marks == sorted(marks) and all(a < b for a, b in marks)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(marks, marks[1:]))
    bracket = TerminalFormatter(lambda s: f"[{s}]")
    assert bracket.format(frag) == _text_of_html(ref_snippet(text, m, size), lambda s: f"[{s}]")
    assert TerminalFormatter().format(frag) == _text_of_html(ref_snippet(text, m, size), lambda s: s)
    whole = highlight_fragment(text, m)
    assert whole.text == text and HtmlFormatter().format(whole) == ref_highlight_all(text, m)


def test_snippet_fragment_marks_the_matched_words():
    body = "Кириш сөз. " * 40 + "Прокуратура <b>коррупцияга</b> каршы иш козгоду. " + "Аяк. " * 40
    frag = snippet_fragment(body, TermMatcher(frozenset({"коррупция"})))
    assert frag.text.startswith("… ") and frag.text.endswith(" …")
    assert [frag.text[a:b] for a, b in frag.marks] == ["коррупцияга"]
    assert TerminalFormatter(lambda s: f"*{s}*").format(frag).count("*коррупцияга*") == 1
    assert "<b>" in frag.text                                    # the text is the text, unescaped
    assert Fragment.of("ab", [[0, 1]]) == Fragment("ab", ((0, 1),))
    assert HtmlFormatter().format(Fragment("a<b", ((2, 3),))) == "a&lt;<mark>b</mark>"
