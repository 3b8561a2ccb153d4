"""``kgsearch serve`` keeps answering while writers switch generations under it.

A real server process, client threads looping over HTTP, and real ``reindex``,
``add``, ``delete``, ``optimize`` and ``rollback`` processes: zero failed
requests, and the answers move to each new generation without a restart.
"""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers import CORPUS, Server, require_corpus, run_cli, write_jsonl

MARK = "квазиколлайдер"   # a word no real article has: hits appear only after `add`


def _subset(path, n):
    lines = [ln for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln.strip()][:n]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Clients:
    """Client threads querying the server in a loop, recording every answer."""

    PATHS = ["/api/search?q=" + urllib.parse.quote("коррупция"), "/healthz",
             "/api/search?q=" + urllib.parse.quote(MARK), "/?q=" + urllib.parse.quote("сот"),
             "/api/stats", "/api/search?q=" + urllib.parse.quote("прокуратура") + "&sort=newest"]

    def __init__(self, server: Server, threads: int = 2):
        self.server = server
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.ok = 0
        self.generations: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(threads)]

    def _loop(self, offset: int):
        i = offset
        while not self.stop.is_set():
            path = self.PATHS[i % len(self.PATHS)]
            i += 1
            try:
                status, text = self.server.get(path, timeout=15)
                if status != 200:
                    raise RuntimeError(f"HTTP {status}")
                if path == "/healthz":
                    gen = json.loads(text)["generation"]
                    with self.lock:
                        if not self.generations or self.generations[-1] != gen:
                            self.generations.append(gen)
                with self.lock:
                    self.ok += 1
                time.sleep(0.01)   # leave the writer some CPU on a 2-core runner
            except Exception as exc:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.failures.append(f"{path}: {exc!r}")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(20)

    def wait_for_generation(self, gen: str, timeout: float = 10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.generations and self.generations[-1] == gen:
                    return
            time.sleep(0.05)
        raise AssertionError(f"the server never answered from {gen}; saw {self.generations}")


def _current(index) -> str:
    return (index / "CURRENT").read_text(encoding="utf-8").strip()


def _search(server, q):
    return server.get_json("/api/search?q=" + urllib.parse.quote(q))[1]


@pytest.mark.parametrize("grace,big", [("60", None), ("0", 600)], ids=["prune-grace-60s", "prune-at-once"])
def test_serve_answers_every_request_while_writers_switch_generations(tmp_path, grace, big):
    """The default setup rebuilds the whole 24.kg corpus under the server.  With grace 0
    retired generations are removed at once (a harsher setting than the product's):
    the server must still never fail, since it holds its generation's files open and
    the next request moves to CURRENT."""
    require_corpus()
    index = tmp_path / "ix"
    env = {"KGSEARCH_PRUNE_GRACE": grace}
    small = _subset(tmp_path / "small.jsonl", 200)
    r = run_cli("reindex", small, "--index", index, "-q", env=env)
    assert r.returncode == 0, r.stderr
    first = _current(index)
    server = Server(index)
    try:
        assert _search(server, MARK)["total"] == 0
        small_total = _search(server, "коррупция")["total"]
        with Clients(server) as clients:
            clients.wait_for_generation(first)
            # 1. a full rebuild of the whole corpus while the clients query
            source = _subset(tmp_path / "big.jsonl", big) if big else CORPUS
            r = run_cli("reindex", source, "--index", index, "-q", env=env)
            assert r.returncode == 0, r.stderr
            full = _current(index)
            clients.wait_for_generation(full)
            assert _search(server, "коррупция")["total"] > small_total
            # 2. add new documents, then a changed one, then delete one
            new = write_jsonl(tmp_path / "new.jsonl", [
                {"id": f"mark-{i}", "title": f"Жаңылык {i}", "body": f"{MARK} тууралуу кабар номер {i}."}
                for i in range(3)])
            r = run_cli("add", new, "--index", index, "-q", "--json", env=env)
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["added"] == 3
            added = _current(index)
            clients.wait_for_generation(added)
            assert _search(server, MARK)["total"] == 3
            r = run_cli("delete", "mark-0", "--index", index, env=env)
            assert r.returncode == 0, r.stderr
            clients.wait_for_generation(_current(index))
            assert _search(server, MARK)["total"] == 2
            # 3. merge segments, roll back, and rebuild again
            r = run_cli("optimize", "--index", index, env=env)
            assert r.returncode == 0, r.stderr
            clients.wait_for_generation(_current(index))
            r = run_cli("rollback", "--index", index, env=env)
            assert r.returncode == 0, r.stderr
            clients.wait_for_generation(_current(index))
            assert _search(server, MARK)["total"] == 2
            r = run_cli("reindex", small, "--index", index, "-q", env=env)
            assert r.returncode == 6 and "--allow-shrink" in r.stderr   # 200 of 1,500: refused
            r = run_cli("reindex", small, "--index", index, "-q", "--allow-shrink", env=env)
            assert r.returncode == 0, r.stderr
            clients.wait_for_generation(_current(index))
            assert _search(server, MARK)["total"] == 0
            time.sleep(0.3)
        assert clients.failures == [], clients.failures[:5]
        assert clients.ok > 50, clients.ok
        assert clients.generations[0] == first and full in clients.generations and added in clients.generations
        assert server.proc.poll() is None
        # no searcher left open on a retired generation: no descriptors or mappings of removed files
        pid = server.proc.pid
        held = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
        maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
        stale = [x for x in held + maps if str(index) in x and "(deleted)" in x]
        assert stale == [], stale[:5]
        assert len(held) < 40, held
    finally:
        server.stop()
