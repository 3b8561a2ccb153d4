"""``kill -9`` of a writer at any moment leaves the served index whole; the next run succeeds.

Writers are real ``kgsearch`` processes.  ``KGSEARCH_TEST_PAUSE=<point>`` makes a
writer print ``KGSEARCH_PAUSE <point>`` and sleep at a known moment (``ingest``:
documents being added; ``commit``: segment files written, TOC not yet;
``before-switch``: new generation complete and flushed, ``CURRENT`` not yet
replaced; ``after-switch``: switched, not yet pruned); the test kills it there.
Time-based kills cover the moments in between.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from tests.helpers import CORPUS, KGSEARCH, ROOT, require_corpus, run_cli, write_jsonl

ENV = {"KGSEARCH_PRUNE_GRACE": "0", "KGSEARCH_TEST_PAUSE_SECONDS": "30"}


@pytest.fixture(scope="module")
def docs():
    require_corpus()
    out = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("body"), str) and obj["body"].strip():
            out.append(obj)
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory, docs):
    """An index of 300 documents (A), built once and copied for each test."""
    root = tmp_path_factory.mktemp("crash-base")
    src = write_jsonl(root / "a.jsonl", docs[:300])
    r = run_cli("reindex", src, "--index", root / "ix", "-q", env=ENV)
    assert r.returncode == 0, r.stderr
    return root / "ix"


@pytest.fixture()
def index(tmp_path, base):
    target = tmp_path / "ix"
    shutil.copytree(base, target)
    return target


def served_ids(index: Path) -> dict[str, str]:
    """Every document of the served generation, read in full: {id: hash}."""
    name = (index / "CURRENT").read_text(encoding="utf-8").strip()
    ix = whoosh_index.open_dir(str(index / "generations" / name))
    try:
        with ix.searcher() as s:
            stored = {f["id"]: f["hash"] for f in s.all_stored_fields()}
            assert s.doc_count() == len(stored)
            assert all(f["body"] for f in s.all_stored_fields())
    finally:
        ix.close()
    return stored


def assert_searchable(index: Path, expected: int) -> None:
    r = run_cli("stats", "--index", index, "--json", env=ENV)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["documents"] == expected
    r = run_cli("search", "коррупция", "--index", index, "--json", env=ENV)
    assert r.returncode == 0 and json.loads(r.stdout)["total"] > 0, r.stderr


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Writer:
    """A writer process whose stderr is watched for pause markers."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen(
            [*KGSEARCH, *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1", **ENV, **(env or {})})
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if line.startswith(marker):
                return
        self.kill()
        raise AssertionError(f"no {marker!r} from the writer; stderr: {''.join(self.seen)}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def _reindex_source(tmp_path, docs):
    return write_jsonl(tmp_path / "b.jsonl", docs[300:550])


def _add_source(tmp_path, docs):
    """30 new documents and 30 changed versions of served ones."""
    changed = [{**d, "body": d["body"] + "\nЖаңыртылды."} for d in docs[:30]]
    return write_jsonl(tmp_path / "more.jsonl", docs[550:580] + changed)


@pytest.mark.parametrize("point", ["ingest", "commit", "before-switch", "after-switch"])
def test_kill_reindex(index, tmp_path, docs, point):
    before = served_ids(index)
    source = _reindex_source(tmp_path, docs)
    w = Writer("reindex", source, "--index", index, "-q", env={"KGSEARCH_TEST_PAUSE": point})
    w.wait_for(f"KGSEARCH_PAUSE {point}")
    w.kill()
    after_kill = served_ids(index)
    new_ids = {d["id"] for d in docs[300:550]}
    if point == "after-switch":
        assert set(after_kill) == new_ids     # the switch had happened: the new index, whole
    else:
        assert after_kill == before           # the old index, whole
    assert_searchable(index, len(after_kill))
    r = run_cli("reindex", source, "--index", index, "-q", "--lock-timeout", "5", env=ENV)
    assert r.returncode == 0, r.stderr
    assert set(served_ids(index)) == new_ids
    # the half-built generation of the killed run is gone; only CURRENT and PREVIOUS remain
    gens = {p.name for p in (index / "generations").iterdir() if p.is_dir()}
    pointers = {(index / n).read_text().strip() for n in ("CURRENT", "PREVIOUS")}
    assert gens == pointers


@pytest.mark.parametrize("point", ["ingest", "commit", "before-switch"])
def test_kill_add(index, tmp_path, docs, point):
    before = served_ids(index)
    source = _add_source(tmp_path, docs)
    w = Writer("add", source, "--index", index, "-q", env={"KGSEARCH_TEST_PAUSE": point})
    w.wait_for(f"KGSEARCH_PAUSE {point}")
    w.kill()
    assert served_ids(index) == before        # same documents, same (old) content
    assert_searchable(index, len(before))
    r = run_cli("add", source, "--index", index, "-q", "--json", "--lock-timeout", "5", env=ENV)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (30, 30, 0)
    after = served_ids(index)
    assert len(after) == 330
    assert all(after[d["id"]] != before[d["id"]] for d in docs[:30])


@pytest.mark.parametrize("command,point", [("delete", "commit"), ("delete", "before-switch"),
                                           ("optimize", "commit")])
def test_kill_delete_and_optimize(index, tmp_path, docs, command, point):
    if command == "optimize":   # give optimize something to merge
        r = run_cli("add", _add_source(tmp_path, docs), "--index", index, "-q", env=ENV)
        assert r.returncode == 0, r.stderr
    before = served_ids(index)
    args = [d["id"] for d in docs[:10]] if command == "delete" else []
    w = Writer(command, *args, "--index", index, env={"KGSEARCH_TEST_PAUSE": point})
    w.wait_for(f"KGSEARCH_PAUSE {point}")
    w.kill()
    assert served_ids(index) == before
    r = run_cli(command, *args, "--index", index, "--json", "--lock-timeout", "5", env=ENV)
    assert r.returncode == 0, r.stderr
    assert len(served_ids(index)) == len(before) - len(args)


def test_kill_parallel_reindex_leaves_no_orphans_and_no_lock(index, tmp_path, docs):
    """``--procs 2``: Whoosh's sub-writers are forked children; killing the parent
    must take them down too (they would otherwise wait forever on the job queue,
    holding an inherited copy of the write lock)."""
    before = served_ids(index)
    source = _reindex_source(tmp_path, docs)
    w = Writer("reindex", source, "--index", index, "-q", "--procs", "2",
               env={"KGSEARCH_TEST_PAUSE": "ingest", "KGSEARCH_TEST_PAUSE_AT_DOC": "220"})
    w.wait_for("KGSEARCH_PAUSE ingest")
    kids = children_of(w.proc.pid)
    assert len(kids) >= 2, kids   # the sub-writers are running
    w.kill()
    deadline = time.monotonic() + 10
    while any(alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(k) for k in kids), "sub-writer processes outlived their parent"
    assert served_ids(index) == before
    r = run_cli("reindex", source, "--index", index, "-q", "--procs", "2", "--json",
                "--lock-timeout", "1", env=ENV)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["procs"] == 2 and summary["multisegment"] is True
    assert set(served_ids(index)) == {d["id"] for d in docs[300:550]}


def test_kill_at_arbitrary_moments(index, tmp_path, docs):
    """No hooks: kill reindex and add runs after various delays; every time the served
    index is one complete generation, and a final run succeeds."""
    old = served_ids(index)
    source = _reindex_source(tmp_path, docs)
    new_ids = {d["id"] for d in docs[300:550]}
    for delay in (0.4, 0.8, 1.2, 1.6, 2.0):
        w = Writer("reindex", source, "--index", index, "-q")
        time.sleep(delay)
        w.kill()
        ids = set(served_ids(index))
        assert ids in (set(old), new_ids), delay
    add_source = _add_source(tmp_path, docs)
    add_ids = {json.loads(line)["id"] for line in add_source.read_text(encoding="utf-8").splitlines()}
    for delay in (0.5, 0.9):
        current = set(served_ids(index))
        w = Writer("add", add_source, "--index", index, "-q")
        time.sleep(delay)
        w.kill()
        assert set(served_ids(index)) in (current, current | add_ids), delay
    r = run_cli("reindex", source, "--index", index, "-q", "--lock-timeout", "5", env=ENV)
    assert r.returncode == 0, r.stderr
    assert set(served_ids(index)) == new_ids
