"""``kgsearch serve --workers N``: N processes answer on one port, and stopping the parent stops them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import KGSEARCH, ROOT, free_port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:                                   # a zombie waiting for its (dead) parent's reaper counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start(index_dir, workers=2):
    port = free_port()
    proc = subprocess.Popen(
        [*KGSEARCH, "serve", "--index", str(index_dir), "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
                json.loads(resp.read())
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve --workers did not come up in 30 s")


def _get(url, path):
    with urllib.request.urlopen(url + path, timeout=20) as resp:
        return resp.status, resp.read().decode("utf-8")


def _child_pids(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(entry))
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_two_workers_answer_and_stop_with_the_parent(sample_store, sig):
    proc, url = _start(sample_store.root, workers=2)
    try:
        workers = _child_pids(proc.pid)
        assert len(workers) == 2, workers
        paths = ["/healthz"] * 40 + ["/api/search?q=" + urllib.parse.quote("коррупция")] * 20 + ["/?q=" + urllib.parse.quote("Бишкек")] * 20
        pids = set()
        with ThreadPoolExecutor(8) as pool:
            for _ in range(5):
                results = list(pool.map(lambda p: _get(url, p), paths))
                assert all(status == 200 for status, _ in results)
                pids |= {json.loads(body)["pid"] for (_, body), p in zip(results, paths) if p == "/healthz"}
                if len(pids) == 2:
                    break
        assert pids == workers, (pids, workers)
        api = json.loads(_get(url, "/api/search?q=" + urllib.parse.quote("коррупция"))[1])
        assert api["total"] > 0
    finally:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("serve --workers did not stop on " + sig.name)
    assert proc.returncode == 0, proc.stdout.read()
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers)


def test_workers_die_when_the_parent_is_killed(sample_store):
    proc, url = _start(sample_store.root, workers=2)
    workers = _child_pids(proc.pid)
    assert len(workers) == 2
    proc.kill()                            # no chance to forward anything: PR_SET_PDEATHSIG does it
    proc.wait(10)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers)


def test_healthz_reports_the_pid(client):
    assert client.get("/healthz").get_json()["pid"] == os.getpid()
