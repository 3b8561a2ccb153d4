"""Helpers the tests import (``from tests.helpers import …``): the paths, the corpus guard,
indexes built for real, the command line and ``kgsearch serve`` as real processes, and the
documented seam into the engine's plan (the end of this file) for the oracle tests that compare
it with plain Whoosh.  The fixtures stay in ``conftest.py``, built from these."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from indexer.build import rebuild
from indexer.store import IndexStore
from search import docsets, ranking
from search.backend.whoosh_query import to_whoosh
from search.plan import And, Phrase, any_of

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "24kg" / "articles.jsonl"
_SCRIPT = Path(sys.executable).parent / "kgsearch"
# The installed console script, as a user runs it (``python -m kgsearch.cli`` if not installed).
KGSEARCH = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "kgsearch.cli"]


def require_corpus(path: Path | str = CORPUS) -> Path:
    """``path`` (default: the 24.kg corpus; any file or folder of ../shared) or skip the test.

    Every test that reads ../shared goes through here (directly, through the corpus fixtures,
    or with ``@pytest.mark.corpus(path)``), so that CI's ``KGSEARCH_REQUIRE_CORPUS=1`` turns a
    missing corpus into a failure instead of a skip.  A fresh clone without ../shared skips."""
    path = Path(path)
    if not path.exists():
        if os.environ.get("KGSEARCH_REQUIRE_CORPUS", "").strip() not in ("", "0"):
            pytest.fail(f"{path} is missing (KGSEARCH_REQUIRE_CORPUS is set)", pytrace=False)
        pytest.skip(f"{path} not present")
    return path


def build_index(tmp_path: Path, sources, **kw) -> IndexStore:
    store = IndexStore(tmp_path)
    result = rebuild(store, [str(s) for s in sources], **kw)
    assert result.published, result.summary()
    return store


def write_jsonl(path: Path, docs) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args, env=None, timeout=300, **kw) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run([*KGSEARCH, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=full_env, timeout=timeout, **kw)


class Server:
    """``kgsearch serve`` as a real process on a free loopback port, with extra ``options``;
    ready once it answers anything (a 503 included).  Its output goes to a pipe, or to
    ``log_path`` (read back by ``stop``) when many requests would fill a pipe nobody reads."""

    def __init__(self, index_dir: Path, *options, log_path: Path | None = None, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w", encoding="utf-8") if log_path else None
        self.proc = subprocess.Popen(
            [*KGSEARCH, "serve", "--index", str(index_dir), "--port", str(self.port), *map(str, options)],
            cwd=ROOT, stdout=self._log or subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                self.answer("/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not come up in 30 s")

    def answer(self, path: str, timeout: float = 10) -> tuple[int, str, str]:
        """(status, content type, body) — HTTP errors are answers too."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
                return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8")

    def get(self, path: str, timeout: float = 10):
        """(status, body); an HTTP error status raises (``urllib.error.HTTPError``)."""
        with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8")

    def get_json(self, path: str):
        status, text = self.get(path)
        return status, json.loads(text)

    def output(self) -> str:
        if self._log is not None:
            self._log.flush()
            return self.log_path.read_text(encoding="utf-8")
        return self.proc.stdout.read() if self.proc.poll() is not None else ""

    def stop(self) -> str:
        """Stop the server; what it printed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        out = self.output()
        if self._log is not None:
            self._log.close()
        return out


# -- the engine's plan: ``engine.plan(q)`` gives the engine-neutral plan; ``whoosh(node)`` is the
# Whoosh query the backend makes of a node; ``docs`` / ``top`` are what the engine computes for it.

def wanted(engine, q: str):
    """(all units, any unit) of a query's wanted units as plan nodes — the And and the Or of
    its clauses for a query of words, phrases and ORs of them; all is None for one unit."""
    nodes = engine.plan(q).wanted()
    if not nodes:
        return None, None
    return (And(tuple(nodes)) if len(nodes) > 1 else None), any_of(nodes)


def whoosh(node):
    return to_whoosh(node)


def reference_ranking(engine, node, docs_set) -> list[tuple[int, float]]:
    """The whole ranking of a scoring node over ``docs_set``, best first (ties by docnum), from
    references outside the engine: Whoosh's own search for the terms Whoosh holds, plus, for each
    marked term (a word's exact form or prefix, indexer/marked.py), BM25F in plain Python with
    its counts taken afresh from every document's stored text (``analysis.marked_counts``) and
    Whoosh's field lengths — added in the node's order, as the engine adds them; then each
    ``Best`` node (a word's readings in a field) as its best child's score plus ``tie`` times the
    others', from each child's score found the same way."""
    from search.backend.whoosh_query import best_nodes, without_best
    scores = _reference_sum(engine, without_best(node), docs_set)
    for best in best_nodes(node):
        parts = [_reference_sum(engine, child, docs_set) for child in best.children]
        for d in sorted(set().union(*parts)):
            values = [p.get(d, 0.0) for p in parts]
            total = values[0]
            for v in values[1:]:
                total = total + v
            top = max(values)
            value = top + best.tie * (total - top)
            scores[d] = scores[d] + value if d in scores else value
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


def _reference_sum(engine, node, docs_set) -> dict[int, float]:
    """{docnum: score} of a scoring node without ``Best`` nodes (None: nothing), as
    ``reference_ranking`` describes."""
    import math

    from indexer.analysis import is_marked
    from search.backend.whoosh_query import without_marked
    from search.plan import scoring_terms
    if node is None:
        return {}
    s = searcher(engine)
    rest = without_marked(node)
    scores = ({h.docnum: h.score for h in s.search(to_whoosh(rest), limit=None, filter=docs_set)}
              if rest is not None else {})
    marked = [(f, t, b) for g, f, t, b in scoring_terms(node) if g is None and f and is_marked(t)]
    weighting, n = s.weighting, s.doc_count_all()
    for f, t, b in marked:
        tf = marked_tf(engine, f, t)
        B = getattr(weighting, "_field_B", {}).get(f, weighting.B)
        K1, avgfl = weighting.K1, s.avg_field_length(f) or 1
        idf = math.log(n / (len(tf) + 1)) + 1
        for d in sorted(tf):
            if d not in docs_set:
                continue
            norm = K1 * ((1 - B) + B * (s.doc_field_length(d, f, 1) or 0) / avgfl)
            scores[d] = scores.get(d, 0.0) + idf * ((tf[d] * (K1 + 1)) / (tf[d] + norm)) * b
    return scores


_MARKED_TF: dict = {}


def marked_tf(engine, field: str, term: str) -> dict[int, int]:
    """{docnum: occurrences} of a marked term, every document (deleted ones too) read afresh."""
    from indexer.analysis import marked_counts
    from indexer.schema import indexed_texts
    gen = engine.state().reader
    key = (id(gen), gen.name)
    per_doc = _MARKED_TF.get(key)
    if per_doc is None:
        _MARKED_TF.clear()
        per_doc = _MARKED_TF[key] = [{f: marked_counts(text) for f, text in indexed_texts(stored).items()}
                                      for stored in gen.stored(range(gen.n))]
    return {d: c[field][term] for d, c in enumerate(per_doc) if term in c[field]}


def searcher(engine):
    """The Whoosh searcher of the engine's current generation."""
    return engine.state().reader.searcher


def docs(engine, node) -> np.ndarray:
    """The engine's doc set (a mask) of a plan node, computed afresh (not from the cache)."""
    gen = engine.state()
    gen.docsets.pop(node)
    return docsets.docs(gen, node)


def top(engine, node, mask, limit: int):
    return ranking.top(engine.state(), node, mask, limit)


ids = docsets.ids


def phrase_nodes(node, out=None) -> list:
    out = [] if out is None else out
    if type(node) is Phrase:
        out.append(node)
    for child in getattr(node, "children", ()):
        phrase_nodes(child, out)
    return out
