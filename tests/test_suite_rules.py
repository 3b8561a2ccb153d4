"""Rules of the test suite itself: a test that needs ../shared never skips itself (CI's
``KGSEARCH_REQUIRE_CORPUS=1`` could not make it fail); it goes through ``tests.helpers.require_corpus``."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# what a condition about the shared corpus looks like
SHARED_HINTS = ("CORPUS", "SHARED", "shared", "KTMU", "seeds", "corpus", "treebank", "gazetteer")


def _skips(tree: ast.AST):
    """Calls of pytest.skip / pytest.skip.Exception / skipif / importorskip anywhere in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name.endswith(("skip", "skipif", "importorskip")) and "require_corpus" not in name:
                yield node


def _enclosing_if(tree: ast.AST, call: ast.Call):
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(call is n for n in ast.walk(node)):
            yield node.test


def test_no_test_skips_itself_for_a_missing_corpus():
    bad = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name in ("conftest.py", "helpers.py"):      # where require_corpus itself lives
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _skips(tree):
            text = ast.unparse(call) + " " + " ".join(ast.unparse(t) for t in _enclosing_if(tree, call))
            if any(h in text for h in SHARED_HINTS):
                bad.append(f"{path.name}:{call.lineno}: {ast.unparse(call)[:100]}")
    assert not bad, "use tests.helpers.require_corpus(path) or @pytest.mark.corpus(path):\n" + "\n".join(bad)


def test_require_corpus_skips_or_fails_on_a_missing_path(tmp_path):
    """A missing ../shared path skips; with KGSEARCH_REQUIRE_CORPUS=1 it fails (run for real)."""
    (tmp_path / "test_needs_corpus.py").write_text(
        "import pytest\n"
        "from tests.helpers import require_corpus\n"
        f"MISSING = {str(tmp_path / 'no-such-shared' / 'articles.jsonl')!r}\n"
        "def test_call():\n    require_corpus(MISSING)\n"
        "@pytest.mark.corpus(MISSING)\ndef test_marker():\n    pass\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_configure, pytest_runtest_setup\n")
    env = {k: v for k, v in os.environ.items() if k != "KGSEARCH_REQUIRE_CORPUS"}
    env["PYTHONPATH"] = str(TESTS.parent) + os.pathsep + env.get("PYTHONPATH", "")

    def run(extra):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "--rootdir", str(tmp_path), str(tmp_path / "test_needs_corpus.py")],
                              cwd=tmp_path, env={**env, **extra}, capture_output=True, text=True, timeout=120)

    r = run({})
    assert "2 skipped" in r.stdout and r.returncode == 0, r.stdout + r.stderr
    r = run({"KGSEARCH_REQUIRE_CORPUS": "1"})
    # the call fails the test, the marker fails its setup: both make the run fail
    assert r.returncode == 1 and "1 failed, 1 error" in r.stdout, r.stdout + r.stderr
    assert r.stdout.count("is missing (KGSEARCH_REQUIRE_CORPUS is set)") >= 2
    r = run({"KGSEARCH_REQUIRE_CORPUS": "0"})
    assert "2 skipped" in r.stdout, r.stdout


@pytest.mark.corpus()
def test_the_marker_without_argument_means_the_24kg_corpus():
    from tests.helpers import CORPUS
    assert CORPUS.is_file()


def test_tests_import_helpers_from_helpers_not_from_conftest():
    """conftest.py holds fixtures and hooks, which pytest injects; what a test imports by name
    comes from tests/helpers.py (importing conftest as a module loads it twice)."""
    bad = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(n in ("conftest", "tests.conftest") for n in names):
                bad.append(f"{path.name}:{node.lineno}")
    assert not bad, bad
