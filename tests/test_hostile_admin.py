"""A careless admin and a hostile client against the command line, the server and the index store.

Real ``kgsearch`` processes throughout: waitress limits against idle, half-sent and
oversized requests; a busy port; a full and a read-only disk (a real tmpfs / read-only
bind mount in a private mount namespace where the machine allows it, else the
``KGSEARCH_TEST_FAIL`` hook raising the same ``OSError`` at the same place); a source
folder whose name is not UTF-8; ``reindex`` without SOURCE and its shrink guard; and a
served generation that is missing or garbage.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import KGSEARCH, ROOT, SAMPLE, Server, run_cli, write_jsonl

MARK = "квазиколлайдер"


def _docs(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"d{i}", "title": f"Кабар {i}", "body": f"{MARK} жөнүндө {i}-кабар. Сот отуруму өттү.",
             "date": "2024-03-14"} for i in range(start, start + n)]


def _current(index: Path) -> str:
    return (index / "CURRENT").read_text().strip()


def _digest(path: Path) -> dict[str, str]:
    return {f.name: hashlib.sha1(f.read_bytes()).hexdigest() for f in sorted(path.iterdir()) if f.is_file()}


def _one_line(r: subprocess.CompletedProcess, code: int) -> str:
    """The command exited ``code`` with exactly one line on stderr and no traceback."""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(lines) == 1, r.stderr
    assert lines[0].startswith("kgsearch: "), lines
    return lines[0]


class Serve(Server):
    """``kgsearch serve`` with extra options; ``get`` gives (status, content type, body), errors included."""

    def get(self, path: str, timeout: float = 10) -> tuple[int, str, str]:
        return self.answer(path, timeout)

    def raw(self, data: bytes) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        if data:
            sock.sendall(data)
        return sock


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("hostile") / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    return index


def _timed_get(srv: Serve, path="/healthz", timeout=10) -> tuple[int, float]:
    t = time.monotonic()
    status, _, _ = srv.get(path, timeout=timeout)
    return status, time.monotonic() - t


def _closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing ``sock`` (None: still open after ``seconds``)."""
    sock.settimeout(seconds)
    got = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return got
            got += chunk
    except socket.timeout:
        return None
    except ConnectionResetError:
        return got


# -- waitress limits ------------------------------------------------------------------------------
def test_many_idle_and_half_sent_connections_do_not_lock_out_a_request(sample_index):
    """Waitress's default limit (100 connections) was locked by 100 idle sockets; the default now
    is 1000, and idle/half-sent connections hold no request thread."""
    srv = Serve(sample_index, "--threads", "2")
    socks = []
    try:
        for i in range(160):
            socks.append(srv.raw(b""))                                   # idle: connected, silent
        for i in range(60):
            socks.append(srv.raw(b"GET /api/search?q=x HTTP/1.1\r\nHost: x\r\nX-Slow: "))  # half-sent
        time.sleep(0.5)
        for _ in range(3):
            status, took = _timed_get(srv)
            assert status == 200 and took < 2.0, took
        status, took = _timed_get(srv, "/api/search?q=" + urllib.request.quote("коррупция"))
        assert status == 200 and took < 3.0
    finally:
        for s in socks:
            s.close()
        srv.stop()


def test_channel_timeout_frees_a_full_connection_table(sample_index):
    """With ``--connection-limit 20`` twenty silent sockets fill the table; ``--channel-timeout 1``
    closes them, and a normal request waiting in the backlog is then served."""
    srv = Serve(sample_index, "--connection-limit", "20", "--channel-timeout", "1")
    socks = []
    try:
        time.sleep(3)            # the readiness probes' connections are gone
        socks = [srv.raw(b"") for _ in range(10)] + \
                [srv.raw(b"GET / HTTP/1.1\r\nHost: x\r\n") for _ in range(10)]
        status, took = _timed_get(srv, timeout=15)
        assert status == 200 and took < 8.0, took
        for s in socks:         # every silent or half-sent connection was closed by the server
            assert _closed_within(s, 5) is not None
    finally:
        for s in socks:
            s.close()
        out = srv.stop()
    assert "connection limit" in out       # waitress said it stopped accepting for a while


def test_large_content_length_without_a_body_does_not_hold_the_server(sample_index):
    srv = Serve(sample_index, "--threads", "1", "--channel-timeout", "1", "--max-body-bytes", "4096",
                "--max-header-bytes", "4096")
    try:
        # over the body limit: refused at once (413), before anything is read
        big = srv.raw(b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
        answer = _closed_within(big, 5)
        assert answer is not None and answer.split(b" ")[1] == b"413", answer
        # under the limit but never sent: the only request thread stays free, the socket is closed
        slow = srv.raw(b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\nab")
        status, took = _timed_get(srv)
        assert status == 200 and took < 2.0
        assert _closed_within(slow, 6) is not None
        # headers over --max-header-bytes: 431
        huge = srv.raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 8000 + b"\r\n\r\n")
        answer = _closed_within(huge, 5)
        assert answer is not None and answer.split(b" ")[1] == b"431", answer[:80]
        assert srv.get("/healthz")[0] == 200
    finally:
        srv.stop()


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_on_a_busy_port_says_so_in_one_line(sample_index, workers):
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = run_cli("serve", "--index", sample_index, "--port", port, "--workers", workers, timeout=60)
    line = _one_line(r, 7)
    assert f"port {port} is in use" in line and "Serving on" not in r.stderr + r.stdout


# -- a full or read-only disk -----------------------------------------------------------------------
def _namespace_mounts() -> bool:
    """Whether this process may make mounts in a private mount namespace (root in a container)."""
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    r = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                       capture_output=True, timeout=30)
    return r.returncode == 0


MOUNTS = _namespace_mounts()


def _in_namespace(script: str, **env) -> subprocess.CompletedProcess:
    """``script`` (sh) in a private mount namespace: its mounts vanish with it."""
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONUNBUFFERED": "1", "KG": " ".join(KGSEARCH), **env})


def _big_source(tmp_path: Path) -> Path:
    body = " ".join(f"{MARK}{i} сот прокуратура коррупция {i * 7919}" for i in range(400))
    return write_jsonl(tmp_path / "big.jsonl", [{"id": f"b{i}", "body": f"{body} {i}"} for i in range(60)])


def test_full_disk_removes_the_half_built_generation_and_keeps_the_served_one(tmp_path):
    index = tmp_path / "ix"
    index.mkdir()
    big = _big_source(tmp_path)
    if MOUNTS:     # a real 1 MiB tmpfs holding the served sample index; the rebuild does not fit
        r = _in_namespace(
            'set -u; mount -t tmpfs -o size=1m tmpfs "$IX" || exit 99\n'
            '$KG reindex "$SAMPLE" --index "$IX" -q 2>/dev/null || exit 98\n'
            'cat "$IX/CURRENT"; ls "$IX/generations"\n'
            '$KG reindex "$BIG" --index "$IX" -q --allow-shrink; echo "rc=$?"\n'
            'ls "$IX/generations"; cat "$IX/CURRENT"\n'
            '$KG search коррупция --json --index "$IX" | head -c 300; echo; echo "search=$?"\n',
            IX=str(index), SAMPLE=str(SAMPLE), BIG=str(big))
        assert r.returncode == 0, r.stderr
        out = r.stdout.splitlines()
        served, listing_before = out[0], out[1:out.index(next(x for x in out if x.startswith("rc=")))]
        assert listing_before == [served]
        assert "rc=7" in out
        after = out[out.index("rc=7") + 1:]
        assert after[0] == served and after[1] == served       # only the served generation is left
        assert '"total": 2' in r.stdout                          # and it still answers
        line = [ln for ln in r.stderr.splitlines() if ln.startswith("kgsearch: ")]
        assert len(line) == 1 and "No space left on device" in line[0], r.stderr
        assert "nothing half-built is left" in line[0] and "Traceback" not in r.stderr
    # the same error raised by the test hook at each writing step, for reindex and add
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    served = _current(index)
    before = _digest(index / "generations" / served)
    for point in ("commit", "before-switch", "ingest"):
        for cmd in (["reindex", big, "--allow-shrink"], ["add", big]):
            r = run_cli(*cmd, "--index", index, "-q", env={"KGSEARCH_TEST_FAIL": f"{point}:ENOSPC",
                                                          "KGSEARCH_TEST_PAUSE_AT_DOC": "5"})
            line = _one_line(r, 7)
            assert "No space left on device" in line and "free some space" in line, (point, cmd)
            assert _current(index) == served
            assert sorted(p.name for p in (index / "generations").iterdir()) == [served], (point, cmd)
    assert _digest(index / "generations" / served) == before
    r = run_cli("add", big, "--index", index, "-q", "--json", env={"KGSEARCH_TEST_FAIL": "commit:ENOSPC"})
    assert r.returncode == 7 and json.loads(r.stdout)["exit_code"] == 7


def test_read_only_index_folder(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    served = _current(index)
    src = write_jsonl(tmp_path / "a.jsonl", _docs(3))
    if MOUNTS:     # a real read-only bind mount of the index folder
        r = _in_namespace(
            'mount --bind "$IX" "$IX" && mount -o remount,bind,ro "$IX" || exit 99\n'
            'for cmd in "reindex $SRC --allow-shrink" "add $SRC" "delete 000_a04a57a4dc81b787" "optimize"; do\n'
            '  $KG $cmd --index "$IX"; echo "rc=$?"\n'
            'done\n'
            '$KG search коррупция --json --index "$IX" | head -c 200; echo; $KG stats --index "$IX" >/dev/null;'
            ' echo "stats=$?"\n',
            IX=str(index), SRC=str(src))
        assert r.returncode == 0, r.stderr
        codes = [ln for ln in r.stdout.splitlines() if ln.startswith("rc=")]
        assert codes[:3] == ["rc=7"] * 3, r.stdout + r.stderr
        assert codes[3] in ("rc=7", "rc=0")       # optimize: one segment, nothing to write
        assert '"total": 2' in r.stdout and "stats=0" in r.stdout   # reading needs no write access
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert "Traceback" not in r.stderr and all("Read-only file system" in ln for ln in lines[:3]), lines
    else:          # the same error where the first write happens (root ignores permission bits)
        for cmd in (["reindex", src, "--allow-shrink"], ["add", src], ["delete", "x"], ["rollback"]):
            r = run_cli(*cmd, "--index", index, env={"KGSEARCH_TEST_FAIL": "lock:EROFS"})
            assert "Read-only file system" in _one_line(r, 7)
    assert _current(index) == served and [p.name for p in (index / "generations").iterdir()] == [served]


def test_source_folder_name_that_is_not_utf8(tmp_path):
    folder = os.path.join(os.fsencode(tmp_path), b"src\xff\xfe")
    os.mkdir(folder)
    shutil.copy(SAMPLE / "000_a04a57a4dc81b787.txt", os.fsdecode(folder))
    index = tmp_path / "ix"
    r = run_cli("reindex", os.fsdecode(folder), "--index", index, "-q")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    manifest = json.loads((index / "generations" / _current(index) / "manifest.json").read_text("utf-8"))
    assert [os.fsencode(s) for s in manifest["sources"]] == [folder]          # the same bytes back
    r = run_cli("stats", "--index", index)
    assert r.returncode == 0 and repr(os.fsdecode(folder)) in r.stdout
    assert json.loads(run_cli("stats", "--index", index, "--json").stdout)["documents"] == 1
    r = run_cli("reindex", "--index", index, "-q")                 # rebuilt from the recorded path
    assert r.returncode == 0 and repr(os.fsdecode(folder)) in r.stderr and "indexed 1 " in r.stderr


# -- reindex without SOURCE, and the shrink guard --------------------------------------------------
def test_reindex_without_source_rebuilds_from_the_recorded_sources(tmp_path):
    index = tmp_path / "ix"
    r = run_cli("reindex", "--index", index, "-q")                # a brand-new index: data/
    assert r.returncode == 0 and "a new index: indexing" in r.stderr and "indexed 2 " in r.stderr
    a = write_jsonl(tmp_path / "a.jsonl", _docs(6))
    b = write_jsonl(tmp_path / "b.jsonl", _docs(4, start=6))
    assert run_cli("reindex", a, "--index", index, "-q", "--allow-shrink").returncode == 0
    assert run_cli("add", b, "--index", index, "-q").returncode == 0
    first = _current(index)
    r = run_cli("reindex", "--index", index, "-q", "--json")
    assert r.returncode == 0, r.stderr
    assert f"rebuilding from the sources recorded in generation {first}: {a}, {b}" in r.stderr
    summary = json.loads(r.stdout)
    assert summary["indexed"] == 10 and summary["sources"] == [str(a), str(b)]
    assert _current(index) != first
    # recorded as absolute paths: the same rebuild from another working directory
    r = subprocess.run([*KGSEARCH, "reindex", "--index", str(index), "-q"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "indexed 10 " in r.stderr, r.stderr


def test_a_rebuild_that_keeps_under_half_is_refused_without_allow_shrink(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", write_jsonl(tmp_path / "ten.jsonl", _docs(10)), "--index", index, "-q").returncode == 0
    served = _current(index)
    four = write_jsonl(tmp_path / "four.jsonl", _docs(4))
    r = run_cli("reindex", four, "--index", index, "-q")
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("kgsearch: ")]
    assert r.returncode == 6 and len(lines) == 1 and "--allow-shrink" in lines[0] and "10 documents" in lines[0]
    assert _current(index) == served and [p.name for p in (index / "generations").iterdir()] == [served]
    r = run_cli("reindex", four, "--index", index, "-q", "--json")
    assert r.returncode == 6 and json.loads(r.stdout)["exit_code"] == 6
    five = write_jsonl(tmp_path / "five.jsonl", _docs(5))           # exactly half is kept: allowed
    assert run_cli("reindex", five, "--index", index, "-q").returncode == 0
    r = run_cli("reindex", write_jsonl(tmp_path / "one.jsonl", _docs(1)), "--index", index, "-q",
                "--allow-shrink")
    assert r.returncode == 0
    assert json.loads(run_cli("stats", "--index", index, "--json").stdout)["documents"] == 1


# -- a missing or garbage served generation --------------------------------------------------------
def _break(index: Path, how: str) -> str:
    name = _current(index)
    gen = index / "generations" / name
    if how == "missing folder":
        (index / "CURRENT").write_text("g19990101T000000-1\n")
        return "g19990101T000000-1"
    if how == "garbage toc":
        for toc in gen.glob("_MAIN_*.toc"):
            toc.write_bytes(os.urandom(300))
    elif how == "manifest not json":
        (gen / "manifest.json").write_text("{garbage", encoding="utf-8")
    return name


@pytest.mark.parametrize("how", ["missing folder", "garbage toc", "manifest not json"])
def test_a_broken_served_generation_answers_503_and_rollback_restores_service(tmp_path, how):
    index = tmp_path / "ix"
    assert run_cli("reindex", write_jsonl(tmp_path / "a.jsonl", _docs(3)), "--index", index, "-q").returncode == 0
    good = _current(index)
    assert run_cli("add", write_jsonl(tmp_path / "b.jsonl", _docs(2, start=3)), "--index", index, "-q").returncode == 0
    broken = _break(index, how)
    def listing():       # generation folders (a writer's prune may retire the unserved one)
        return sorted(p.name for p in (index / "generations").iterdir() if p.is_dir())
    before = listing()

    for cmd in (["stats"], ["stats", "--json"], ["search", MARK], ["add", tmp_path / "a.jsonl"],
                ["delete", "d0"], ["optimize"]):
        line = _one_line(run_cli(*cmd, "--index", index), 8)
        assert broken in line and f"`kgsearch rollback` (serves {good} again)" in line, (cmd, line)
        assert "analyzer None" not in line and str(tmp_path) not in line
    assert listing() == before                                  # nothing half-built left behind

    srv = Serve(index)
    try:
        for path in ("/healthz", "/api/search?q=x", "/api/stats"):
            status, ctype, body = srv.get(path)
            assert status == 503 and ctype.startswith("application/json"), (path, status, body)
            assert "kgsearch rollback" in json.loads(body)["error"]
        status, ctype, body = srv.get("/?q=x")
        assert status == 503 and ctype.startswith("text/html") and "kgsearch rollback" in body
        r = run_cli("rollback", "--index", index)
        assert r.returncode == 0 and f"serving generation {good} again" in r.stderr, r.stderr
        status, _, body = srv.get("/healthz")                  # the running server recovers
        assert status == 200 and json.loads(body)["generation"] == good
        assert json.loads(srv.get("/api/search?q=" + urllib.request.quote(MARK))[2])["total"] == 3
    finally:
        out = srv.stop()
    assert "Traceback" not in out and "cannot be opened" in out      # said once at start, then served
    # rolling back again would switch to the broken one: refused
    r = run_cli("rollback", "--index", index)
    why = "no previous generation" if how == "missing folder" else "cannot be opened either"
    assert r.returncode == 1 and why in _one_line(r, 1) and _current(index) == good


def test_reindex_without_source_over_an_unreadable_manifest_names_the_fix(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    _break(index, "manifest not json")
    line = _one_line(run_cli("reindex", "--index", index, "-q"), 8)
    assert "name them: `kgsearch reindex SOURCE...`" in line and "kgsearch rollback" in line
    r = run_cli("reindex", SAMPLE, "--index", index, "-q")            # naming them works
    assert r.returncode == 0 and "Traceback" not in r.stderr


def test_exit_codes_are_one_enum():
    from indexer.store import ExitCode
    assert ExitCode.SHRINK == 6 and ExitCode.LOCKED == 4
    for path in [*(ROOT / "indexer").glob("*.py"), *(ROOT / "search").glob("*.py"),
                 *(ROOT / "kgsearch").glob("*.py")]:                              # no second copy
        assert not re.search(r"^EXIT_\w+ *=", path.read_text(encoding="utf-8"), re.M), path
    assert len({int(c) for c in ExitCode}) == len(ExitCode)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:                         # every code is documented
        assert f"`{int(code)}`" in readme, code
    assert errno.ENOSPC and errno.EROFS
