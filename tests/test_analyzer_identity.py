"""The analyzer's output is exactly what ``ky-4`` produced before it was made faster (``ky-5``
gives ``ANALYZER`` the same stems; it adds the marked exact-form and prefix terms only when
the schema's ``INDEX_ANALYZER`` indexes, tests/test_representations.py).

The expected tokens, stems and language decisions are committed data
(``tests/data/analyzer_tokens.tsv``, ``analyzer_digests.tsv``; see
``tests/analyzer_fingerprint.py``), written once by the code before the speed-up.
Same ``ANALYZER_VERSION`` means same terms: an index built before stays valid.
Each test starts with empty analyzer caches, as a fresh indexing process does.
"""
from __future__ import annotations

import pytest
from whoosh.analysis import CompositeAnalyzer

from indexer import analysis
from indexer.analysis import ANALYZER, CleanFilter, CompoundFilter, KyAnalyzer, KyTokenizer, StemFilter
from tests import analyzer_fingerprint as fp
from tests.helpers import require_corpus


@pytest.fixture
def cold():
    analysis.clear_caches()
    yield
    analysis.clear_caches()


def _header(path) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.readline()


def test_fingerprints_belong_to_this_analyzer_version():
    for path in (fp.TOKENS_FILE, fp.DIGESTS_FILE):
        assert f"analyzer {analysis.ANALYZER_VERSION};" in _header(path), path


def test_owned_texts_and_words_give_the_committed_tokens(cold):
    with open(fp.TOKENS_FILE, encoding="utf-8") as fh:
        expected = [line.rstrip("\n") for line in fh if not line.startswith("#")]
    got = list(fp.owned_lines())
    assert len(expected) > 3000
    diff = [(e, g) for e, g in zip(expected, got) if e != g]
    assert not diff, f"{len(diff)} lines differ, first: expected {diff[0][0]!r}, got {diff[0][1]!r}"
    assert len(got) == len(expected)


@pytest.mark.slow
def test_24kg_ud_and_unimorph_give_the_committed_digests(cold):
    for path in (fp.CORPUS, *fp.UD_FILES, fp.UNIMORPH_RAW):
        require_corpus(path)
    expected = fp.read_digests()
    got = {key: (count, digest) for key, count, digest in fp.shared_digests()}
    assert len(expected) > 1500
    assert got.keys() == expected.keys()
    wrong = sorted(key for key in expected if got[key] != expected[key])
    assert not wrong, f"{len(wrong)} of {len(expected)} differ: {', '.join(wrong[:20])}"


CHAIN = CompositeAnalyzer(KyTokenizer(), CleanFilter(), CompoundFilter(), StemFilter())
FLAGS = [dict(positions=True, chars=True), dict(positions=False, chars=True), dict(positions=True),
         dict(), dict(positions=True, chars=True, keeporiginal=True, start_pos=5, start_char=100)]


def _stream(analyzer, text, **kw):
    return [(t.text, getattr(t, "pos", None), getattr(t, "startchar", None), getattr(t, "endchar", None),
             getattr(t, "original", None), t.boost, t.stopped) for t in analyzer(text, **kw)]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none")
@pytest.mark.parametrize("mode", fp.MODES)
def test_the_one_loop_analyzer_gives_the_chain_of_four_stages_tokens(flags, mode):
    """ANALYZER runs the four stages as one loop; the plain Whoosh chain of the same stages (what an
    index pickled before that holds) gives the same tokens with every option the indexer, the
    query builder and the highlighter use."""
    assert type(ANALYZER) is KyAnalyzer and list(map(type, ANALYZER.items)) == list(map(type, CHAIN.items))
    texts = [text for _, text in fp.owned_texts()] + ["Ысык-Көлдө 2025-жылдын 9-декабрында УКМКнын -- а-",
                                                      "ИИМ-дин 10-да, жол--курулуш - Centerra Gold"]
    for text in texts:
        assert _stream(ANALYZER, text, mode=mode, **flags) == _stream(CHAIN, text, mode=mode, **flags)


def test_no_morph_and_untokenized_values_run_the_chain():
    assert [t.text for t in ANALYZER("Коррупцияга каршы", no_morph=True)] == ["коррупцияга", "каршы"]
    assert [t.text for t in ANALYZER("Коррупцияга каршы", tokenize=False)] == ["коррупцияга каршы"]
