"""Administration as a user runs it: add/delete/rollback/optimize, one writer at a time,
stale locks, pruning, analyzer-version checks, progress output, bad input at scale."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import re
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import rebuild
from indexer.store import IndexStore
from search.engine import SearchEngine
from tests.helpers import CORPUS, KGSEARCH, ROOT, SAMPLE, require_corpus, run_cli, write_jsonl

MARK = "квазиколлайдер"


def _docs(n: int, start: int = 0, word: str = MARK) -> list[dict]:
    return [{"id": f"d{i}", "title": f"Кабар {i}", "body": f"{word} жөнүндө {i}-кабар. Сот отуруму өттү.",
             "date": f"2024-0{1 + i % 9}-1{i % 10}"} for i in range(start, start + n)]


def _json(r: subprocess.CompletedProcess) -> dict:
    assert r.stdout, r.stderr
    return json.loads(r.stdout)


def _files_digest(path: Path) -> dict[str, str]:
    return {f.name: hashlib.sha1(f.read_bytes()).hexdigest() for f in path.iterdir() if f.is_file()}


def _current(index: Path) -> str:
    return (index / "CURRENT").read_text().strip()


# -- add / delete / rollback / optimize ---------------------------------------------------
def test_add_upserts_by_id_skips_unchanged_and_never_touches_the_served_generation(tmp_path):
    index = tmp_path / "ix"
    first = write_jsonl(tmp_path / "first.jsonl", _docs(5))
    r = run_cli("add", first, "--index", index, "-q", "--json")     # add creates a missing index
    assert r.returncode == 0, r.stderr
    s = _json(r)
    assert (s["added"], s["updated"], s["unchanged"], s["deleted"], s["documents"]) == (5, 0, 0, 0, 5)
    gen1 = _current(index)
    before = _files_digest(index / "generations" / gen1)

    changed = _docs(5)
    changed[1]["body"] = "Жаңы текст: прокуратура иш козгоду."
    changed[3]["title"] = "Башка аталыш"
    second = write_jsonl(tmp_path / "second.jsonl", changed + _docs(2, start=5))
    r = run_cli("add", second, "--index", index, "--json")
    assert r.returncode == 0, r.stderr
    s = _json(r)
    assert (s["added"], s["updated"], s["unchanged"], s["deleted"], s["documents"]) == (2, 2, 3, 0, 7)
    gen2 = _current(index)
    assert gen2 != gen1 and (index / "PREVIOUS").read_text().strip() == gen1
    # copy-on-write: the old generation's files are byte for byte what they were
    assert _files_digest(index / "generations" / gen1) == before

    engine = SearchEngine(index)
    assert engine.search(MARK)["total"] == 6                       # d1 no longer says it
    assert engine.search("прокуратура")["total"] == 1
    assert engine.document("d3")["title"] == "Башка аталыш"
    manifest = json.loads((index / "generations" / gen2 / "manifest.json").read_text())
    assert manifest["sources"] == [str(first), str(second)]
    assert manifest["updates"][-1] | {"at": None} == {
        "at": None, "kind": "add", "sources": [str(second)], "added": 2, "updated": 2,
        "unchanged": 3, "deleted": 0, "skipped": 0}

    # the same input again: nothing changes, no new generation
    r = run_cli("add", second, "--index", index)
    assert r.returncode == 0, r.stderr
    assert "added 0 · updated 0 · unchanged 7 · deleted 0" in r.stderr and "no changes" in r.stderr
    assert _current(index) == gen2

    # delete in one batch; unknown ids are reported, not fatal; ids from stdin with "-"
    r = run_cli("delete", "d0", "nope", "-", "--index", index, "--json", input="d2\nd4\n\n")
    assert r.returncode == 0, r.stderr
    s = _json(r)
    assert (s["deleted"], s["not_found"], s["documents"]) == (3, ["nope"], 4)
    engine = SearchEngine(index)
    assert engine.search(MARK)["total"] == 3 and engine.document("d0") is None

    # stats tell the story
    r = run_cli("stats", "--index", index)
    assert r.returncode == 0, r.stderr
    assert "documents    4" in r.stdout and "by delete" in r.stdout and "previous     " in r.stdout
    assert "last update" in r.stdout and "deleted 3" in r.stdout
    stats = _json(run_cli("stats", "--index", index, "--json"))
    assert stats["documents"] == 4 and stats["undated"] == 0       # deleted documents are not counted

    # rollback serves the generation before the delete again, and back
    deleted_gen = _current(index)
    r = run_cli("rollback", "--index", index, "--json")
    assert r.returncode == 0, r.stderr
    assert _json(r)["documents"] == 7 and SearchEngine(index).document("d0") is not None
    r = run_cli("rollback", "--index", index)
    assert r.returncode == 0 and _current(index) == deleted_gen


def test_exit_codes_of_the_admin_commands(tmp_path):
    index = tmp_path / "ix"
    r = run_cli("delete", "x", "--index", index)
    assert r.returncode == 1 and "no index" in r.stderr
    r = run_cli("rollback", "--index", index)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    r = run_cli("optimize", "--index", index)
    assert r.returncode == 1
    r = run_cli("add", "--index", index)
    assert r.returncode == 2                                   # SOURCES is required
    r = run_cli("add", tmp_path / "missing.jsonl", "--index", index)
    assert r.returncode == 1 and "no such file or folder" in r.stderr
    r = run_cli("reindex", SAMPLE, "--index", index, "-q")
    assert r.returncode == 0
    r = run_cli("rollback", "--index", index)                  # nothing before the first build
    assert r.returncode == 1 and "no previous generation" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "ok", "body": "Коррупция."}\n{"id": "x"}\n', encoding="utf-8")
    gen = _current(index)
    r = run_cli("add", bad, "--index", index, "--strict", "-q")
    assert r.returncode == 3 and f'{bad}:2: error: missing "body"' in r.stderr
    assert _current(index) == gen and SearchEngine(index).document("ok") is None


def test_optimize_merges_segments(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    for n in range(3):
        src = write_jsonl(tmp_path / f"{n}.jsonl", _docs(3, start=3 * n))
        assert run_cli("add", src, "--index", index, "-q").returncode == 0
    assert run_cli("delete", "d0", "--index", index).returncode == 0
    stats = _json(run_cli("stats", "--index", index, "--json"))
    assert stats["segments"] > 1 and stats["documents"] == 10
    r = run_cli("optimize", "--index", index, "--json")
    assert r.returncode == 0, r.stderr
    s = _json(r)
    assert s["segments"] == 1 and s["segments_before"] == stats["segments"] and s["documents"] == 10
    assert SearchEngine(index).search(MARK)["total"] == 8
    r = run_cli("optimize", "--index", index)
    assert r.returncode == 0 and "nothing to do" in r.stderr


# -- one writer at a time ---------------------------------------------------------------------
def _paused_writer(index, source, point="before-switch", seconds="30"):
    proc = subprocess.Popen(
        [*KGSEARCH, "reindex", str(source), "--index", str(index), "-q"], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "KGSEARCH_TEST_PAUSE": point, "KGSEARCH_TEST_PAUSE_SECONDS": seconds})
    line = proc.stderr.readline()
    assert line.startswith(f"KGSEARCH_PAUSE {point}"), line
    return proc


def test_second_writer_waits_then_fails_with_one_line_naming_the_other(tmp_path):
    index = tmp_path / "ix"
    src = write_jsonl(tmp_path / "a.jsonl", _docs(3))
    first = _paused_writer(index, src)
    try:
        started = time.monotonic()
        r = run_cli("add", src, "--index", index, "--lock-timeout", "1")
        waited = time.monotonic() - started
        assert r.returncode == 4
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.stderr and "LockError" not in r.stderr
        assert f"kgsearch reindex, pid {first.pid}" in lines[0] and "gave up after 1 s" in lines[0]
        assert waited >= 1.0
        r = run_cli("delete", "d1", "--index", index, "--lock-timeout", "0", "--json")
        assert r.returncode == 4 and _json(r)["exit_code"] == 4 and "pid" in _json(r)["reason"]
        tty = _run_on_tty("optimize", "--index", index, "--lock-timeout", "0.5")   # a person is told
        assert f"waiting up to 0.5 s for the write lock (kgsearch reindex, pid {first.pid}" in tty
        assert "gave up after 0.5 s" in tty
    finally:
        first.kill()
        first.wait()


def test_second_writer_waits_for_the_first_to_finish(tmp_path):
    index = tmp_path / "ix"
    src = write_jsonl(tmp_path / "a.jsonl", _docs(3))
    first = _paused_writer(index, src, seconds="1.5")
    r = run_cli("add", write_jsonl(tmp_path / "b.jsonl", _docs(2, start=3)), "--index", index,
                "--lock-timeout", "30", "--json")
    assert first.wait(30) == 0
    assert r.returncode == 0, r.stderr
    assert _json(r)["added"] == 2 and _json(r)["documents"] == 5


def test_a_lock_left_by_a_killed_writer_never_blocks(tmp_path):
    index = tmp_path / "ix"
    src = write_jsonl(tmp_path / "a.jsonl", _docs(3))
    first = _paused_writer(index, src, point="commit")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert f"pid {first.pid}" in (index / "write.lock").read_text()   # the holder's note is left behind
    started = time.monotonic()
    r = run_cli("reindex", src, "--index", index, "-q", "--lock-timeout", "0")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - started < 10


# -- generations on disk ------------------------------------------------------------------------
def test_old_generations_are_pruned_after_a_grace_period(tmp_path):
    src = write_jsonl(tmp_path / "a.jsonl", _docs(2))
    store = IndexStore(tmp_path / "ix", prune_grace=60)
    names = [rebuild(store, [str(src)]).generation for _ in range(4)]
    gens = store.list_generations()
    # CURRENT, PREVIOUS, and the ones retired less than a minute ago (a server may be opening them)
    assert store.current() == names[-1] and store.previous() == names[-2]
    assert set(gens) == set(names)
    assert {p.name for p in store.generations.glob("*.retired")} == {f"{n}.retired" for n in names[:2]}
    assert sorted(store.prune(grace=0)) == sorted(names[:2])
    assert set(store.list_generations()) == set(names[2:])
    assert not list(store.generations.glob("*.retired"))
    store0 = IndexStore(tmp_path / "ix0", prune_grace=0)
    for _ in range(3):
        rebuild(store0, [str(src)])
    assert len(store0.list_generations()) == 2


def test_half_built_generations_of_failed_runs_are_removed(tmp_path):
    store = IndexStore(tmp_path / "ix")
    rebuild(store, [str(SAMPLE)])
    junk = store.generations / "g-killed-run"
    junk.mkdir()
    (junk / "MAIN_x.seg").write_bytes(b"partial")
    rebuild(store, [str(SAMPLE)])
    assert not junk.exists()


# -- analyzer version ----------------------------------------------------------------------------
def test_index_built_with_another_analyzer_says_reindex_needed(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    manifest_path = index / "generations" / _current(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["analyzer_version"] = "ky-0"
    manifest_path.write_text(json.dumps(manifest))

    r = run_cli("stats", "--index", index)
    assert r.returncode == 0 and "reindex needed" in r.stdout
    assert _json(run_cli("stats", "--index", index, "--json"))["reindex_needed"] is True
    r = run_cli("add", write_jsonl(tmp_path / "a.jsonl", _docs(1)), "--index", index)
    assert r.returncode == 5 and "kgsearch reindex" in r.stderr and "ky-0" in r.stderr
    r = run_cli("delete", "000_a04a57a4dc81b787", "--index", index, "--json")  # no analysis: allowed
    assert r.returncode == 0 and _json(r)["deleted"] == 1
    # the manifest stays truthful: still the old analyzer
    assert _json(run_cli("stats", "--index", index, "--json"))["analyzer_version"] == "ky-0"

    from tests.helpers import free_port
    proc = subprocess.Popen([*KGSEARCH, "serve", "--index", str(index), "--port", str(free_port())],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        out = []
        for line in proc.stdout:
            out.append(line)
            if line.startswith("Serving on"):
                break
        assert any("reindex needed" in line and "ky-0" in line for line in out), out
    finally:
        proc.terminate()
        proc.wait(10)
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    assert _json(run_cli("stats", "--index", index, "--json"))["reindex_needed"] is False


# -- progress and automation ---------------------------------------------------------------------
def _run_on_tty(*args) -> str:
    """Run kgsearch with stderr on a pseudo-terminal; returns what the terminal got."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([*KGSEARCH, *map(str, args)], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_only(tmp_path):
    src = write_jsonl(tmp_path / "a.jsonl", _docs(40))
    tty = _run_on_tty("reindex", src, "--index", tmp_path / "ix")
    assert re.search(r"indexing: 100%.*40/40 \[[0-9:]+<[0-9:]+", tty), tty   # total, elapsed<ETA
    assert "docs/s" in tty and "indexed 40 · skipped 0" in tty
    quiet = _run_on_tty("reindex", src, "--index", tmp_path / "ix", "--quiet")
    assert "%" not in quiet and "indexed 40" in quiet
    r = run_cli("reindex", src, "--index", tmp_path / "ix")            # stderr is a pipe: no bar
    assert r.returncode == 0 and "\r" not in r.stderr and "%" not in r.stderr
    assert r.stderr.splitlines()[0].startswith("indexed 40 · skipped 0")
    tty = _run_on_tty("add", write_jsonl(tmp_path / "b.jsonl", _docs(5, start=40)), "--index", tmp_path / "ix")
    assert "adding: 100%" in tty and "added 5" in tty


def test_json_summary_is_machine_readable(tmp_path):
    src = write_jsonl(tmp_path / "a.jsonl", _docs(4))
    r = run_cli("reindex", src, "--index", tmp_path / "ix", "--json")
    s = _json(r)
    assert r.returncode == 0 and s["exit_code"] == 0 and s["published"] is True
    assert {"generation", "indexed", "skipped", "warnings", "seconds", "docs_per_second", "problems",
            "procs", "multisegment", "segments"} <= set(s)
    r = run_cli("add", src, "--index", tmp_path / "ix", "--json")
    s = _json(r)
    assert {"added", "updated", "unchanged", "deleted", "not_found", "documents"} <= set(s)


def test_two_processes_index_the_same_documents(tmp_path):
    require_corpus()
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:400]
    src = tmp_path / "c.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = rebuild(IndexStore(tmp_path / "one"), [str(src)], procs=1)
    two = rebuild(IndexStore(tmp_path / "two"), [str(src)], procs=2, multisegment=True)
    assert one.indexed == two.indexed and two.extra["segments"] == 2
    e1, e2 = SearchEngine(tmp_path / "one"), SearchEngine(tmp_path / "two")
    for q in ("коррупция", "сот", '"Жогорку Кеңеш"', "прокуратура OR милиция"):
        assert e1.search(q)["total"] == e2.search(q)["total"], q
        assert {h["id"] for h in e1.search(q, per_page=100)["hits"]} == \
            {h["id"] for h in e2.search(q, per_page=100)["hits"]}


# -- bad input at scale ------------------------------------------------------------------------------
def test_bad_input_at_scale_every_good_document_indexed_every_bad_item_reported_once(tmp_path):
    require_corpus()
    real = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        if obj.get("body", "").strip():
            real.append(obj)
    corpus = tmp_path / "corpus"
    (corpus / "good").mkdir(parents=True)
    (corpus / "mixed").mkdir()
    write_jsonl(corpus / "good" / "24kg.jsonl", real[:300])
    (corpus / "good" / "seed.txt").write_bytes((SAMPLE / "000_a04a57a4dc81b787.txt").read_bytes())
    # a Russian page exported as cp1251
    ru_page = "12.03.2024\nНовости\nСуд вынес приговор\nСуд Бишкека вынес приговор по делу о коррупции.\n"
    (corpus / "mixed" / "cp1251_page.txt").write_bytes(ru_page.encode("cp1251"))
    first_bad = ru_page.encode("cp1251").index(b"\xcd")          # "Н" of "Новости"
    # a JSON Lines file with one cp1251 line among UTF-8 ones
    cp_line = json.dumps({"id": "cp-2", "body": "Прокуратура возбудила дело."}, ensure_ascii=False)
    cp_bad = cp_line.encode("cp1251").index(b"\xcf")              # "П" of "Прокуратура"
    (corpus / "mixed" / "cp1251_lines.jsonl").write_bytes(
        (json.dumps({"id": "cp-1", "body": "Сот иши каралды."}, ensure_ascii=False) + "\n").encode()
        + cp_line.encode("cp1251") + b"\n")
    (corpus / "mixed" / "empty.txt").write_bytes(b"")
    (corpus / "mixed" / "blank.jsonl").write_bytes(b"\n  \n")
    (corpus / "mixed" / "image.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "mixed" / "notes.md").write_text("not a document format\n")
    # a 10 MB export: good documents around a 9.5 MB line cut off mid-record
    huge = json.dumps({"id": "huge", "body": "Коррупция " * 950_000}, ensure_ascii=False)[:-3]
    big_docs = [json.dumps({**d, "id": "big-" + d["id"]}, ensure_ascii=False) for d in real[300:600]]
    (corpus / "mixed" / "big.jsonl").write_text(
        "\n".join(big_docs[:150] + [huge] + big_docs[150:]) + "\n", encoding="utf-8")
    assert (corpus / "mixed" / "big.jsonl").stat().st_size > 10_000_000
    broken = [
        json.dumps({"id": "ok-1", "body": "Сот отуруму өттү."}, ensure_ascii=False),
        '{"id": "cut", "body": "Сот',                                   # 2 broken JSON
        "not json at all",                                              # 3
        "[1, 2, 3]",                                                    # 4 not an object
        json.dumps({"id": "nobody"}),                                   # 5 no body
        json.dumps({"id": "blank", "body": "   "}),                     # 6 empty body
        json.dumps({"body": "Без идентификатора."}, ensure_ascii=False),  # 7 no id
        json.dumps(real[5], ensure_ascii=False),                        # 8 duplicate of 24kg.jsonl:6
        json.dumps({"id": "ok-2", "title": "Аталыш", "body": "Прокуратура."}, ensure_ascii=False),
    ]
    (corpus / "mixed" / "broken.jsonl").write_text("\n".join(broken) + "\n", encoding="utf-8")

    good, mixed = corpus / "good", corpus / "mixed"
    huge_col = len('{"id": "huge", "body": "') + 1
    expected = [
        f"{mixed}/big.jsonl:151: error: invalid JSON: Unterminated string starting at (column {huge_col - 1})",
        f"{mixed}/blank.jsonl: error: empty file",
        f"{mixed}/broken.jsonl:2: error: invalid JSON: Unterminated string starting at (column 23)",
        f"{mixed}/broken.jsonl:3: error: invalid JSON: Expecting value (column 1)",
        f"{mixed}/broken.jsonl:4: error: expected a JSON object, got list",
        f'{mixed}/broken.jsonl:5: error: missing "body"',
        f'{mixed}/broken.jsonl:6: error: "body" must be non-empty text',
        f'{mixed}/broken.jsonl:7: error: missing "id"',
        f'{mixed}/broken.jsonl:8: error: duplicate id "{real[5]["id"]}" (first seen at {good}/24kg.jsonl:6); skipped',
        f"{mixed}/cp1251_lines.jsonl:2: warning: not valid UTF-8 (byte 0xcf at offset {cp_bad}); decoded as cp1251",
        f"{mixed}/cp1251_page.txt: warning: not valid UTF-8 (byte 0xcd at offset {first_bad}); decoded as cp1251",
        f"{mixed}/empty.txt: error: empty file",
        f"{mixed}/image.txt: error: binary file, not text",
    ]
    good_count = 300 + 1 + 300 + 2 + 2 + 1      # 24kg, seed page, big, cp1251 lines, ok-1/ok-2, cp page
    index = tmp_path / "ix"
    r = run_cli("reindex", good, "--index", index, "-q")            # something to keep serving
    assert r.returncode == 0, r.stderr
    served = _current(index)

    r = run_cli("reindex", corpus, "--index", index, "--strict", "--json")
    assert r.returncode == 3
    s = _json(r)
    assert s["problems"] == expected and s["published"] is False and "--strict" in s["reason"]
    assert _current(index) == served and SearchEngine(index).stats()["documents"] == 301

    r = run_cli("reindex", corpus, "--index", index, "--json")
    assert r.returncode == 0, r.stderr
    s = _json(r)
    assert s["problems"] == expected
    assert (s["indexed"], s["skipped"], s["warnings"], s["ignored_files"]) == (good_count, 11, 2, 1)
    for problem in expected:                                      # each reported once on stderr
        assert r.stderr.count(problem + "\n") == 1, problem
    engine = SearchEngine(index)
    assert engine.stats()["documents"] == good_count
    for doc_id in ("cp-1", "cp-2", "ok-1", "ok-2", "cp1251_page", "seed",
                   "big-" + real[300]["id"], "big-" + real[599]["id"], real[5]["id"]):
        assert engine.document(doc_id) is not None, doc_id
    assert engine.document("huge") is None and engine.document("nobody") is None
    assert engine.document("cp-2")["body_html"] == ["Прокуратура возбудила дело."]

    # the same mix through `add` reports the same way and adds nothing twice
    r = run_cli("add", corpus, "--index", index, "--json")
    assert r.returncode == 0, r.stderr
    s = _json(r)
    assert s["problems"] == expected and (s["added"], s["unchanged"]) == (0, good_count)


def test_two_processes_by_default_for_large_inputs_only(tmp_path):
    from indexer.build import PARALLEL_THRESHOLD, choose_procs, count_documents
    assert choose_procs(None, None, PARALLEL_THRESHOLD - 1) == (1, False)
    if (os.cpu_count() or 1) >= 2:
        assert choose_procs(None, None, PARALLEL_THRESHOLD) == (2, True)
    assert choose_procs(2, False, 10) == (2, False) and choose_procs(1, None, 10**6) == (1, False)
    src = write_jsonl(tmp_path / "a.jsonl", _docs(7))
    with src.open("a", encoding="utf-8") as fh:
        fh.write("\n   \nbroken line\n")
    (tmp_path / "page.txt").write_text("Сот.\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("x\n")
    assert count_documents([str(tmp_path)]) == 7 + 1 + 1     # non-blank JSONL lines + one per page
