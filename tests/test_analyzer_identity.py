"""The analyzer's output is exactly what ``ky-4`` produced before it was made faster.

The expected tokens, stems and language decisions are committed data
(``tests/data/analyzer_tokens.tsv``, ``analyzer_digests.tsv``; see
``tests/analyzer_fingerprint.py``), written once by the code before the speed-up.
Same ``ANALYZER_VERSION`` means same terms: an index built before stays valid.
Each test starts with empty analyzer caches, as a fresh indexing process does.
"""
from __future__ import annotations

import pytest

from indexer import analysis
from tests import analyzer_fingerprint as fp
from tests.conftest import require_corpus


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
