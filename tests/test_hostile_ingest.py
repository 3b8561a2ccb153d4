"""Hostile and careless input at ingest (issue 10, items 5-7): every bad item is one clear
``file:line: level: reason`` line, every good document is kept, nothing hangs, nothing crashes
later in the index, and no command prints a traceback."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from indexer import ingest
from indexer.documents import MAX_BODY, MAX_TITLE
from indexer.ingest import Ingestor, truncate_body
from indexer.pages import parse_page
from tests.helpers import CORPUS, ROOT, require_corpus, run_cli, write_jsonl

BODY = "Прокуратура коррупция боюнча кылмыш ишин козгоду."


def good(i, **extra) -> str:
    return json.dumps({"id": f"g{i}", "body": f"{BODY} Документ {i}.", **extra}, ensure_ascii=False)


def run(*sources, **kw):
    ing = Ingestor(**kw)
    docs = list(ing.documents(sources))
    return docs, ing.report


def messages(report) -> list[str]:
    return [str(p) for p in report.problems]


def cli_ok(result, *, code=0):
    """A finished command: the exit code asked for and no traceback anywhere."""
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    return result


def search_ids(index, query="коррупция") -> set[str]:
    r = cli_ok(run_cli("search", query, "--json", "--limit", "100", "--index", index))
    return {h["id"] for h in json.loads(r.stdout)["hits"]}


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines))
    return path


# -- lone surrogates, deep nesting, numbers too long --------------------------------------
def test_lone_surrogate_is_a_bad_line(tmp_path):
    f = write_lines(tmp_path / "s.jsonl", [good(1), r'{"id": "s", "body": "x \ud800"}', good(2),
                                           r'{"id": "t", "body": "ok", "title": "\udfff"}',
                                           r'{"id": "u\udc80", "body": "ok"}'])
    docs, report = run(f)
    assert [d.id for d in docs] == ["g1", "g2"]
    assert messages(report) == [
        f'{f}:2: error: "body" holds a lone surrogate (\\ud800 at character 3), which is not text; skipped',
        f'{f}:4: error: "title" holds a lone surrogate (\\udfff at character 1), which is not text; skipped',
        f'{f}:5: error: "id" holds a lone surrogate (\\udc80 at character 2), which is not text; skipped',
    ]
    for d in docs:            # what the index will do with them must work
        d.content_hash()


def test_lone_surrogate_through_reindex_and_add(tmp_path):
    index = tmp_path / "ix"
    first = write_lines(tmp_path / "a.jsonl", [good(1), r'{"id": "s", "body": "x \ud800"}', good(2)])
    r = cli_ok(run_cli("reindex", first, "--index", index, "--quiet"))
    assert f"{first}:2: error: \"body\" holds a lone surrogate" in r.stderr
    assert search_ids(index) == {"g1", "g2"}
    more = write_lines(tmp_path / "b.jsonl", [good(3), r'{"id": "g1", "body": "\ud800 жаңы"}', good(4)])
    r = cli_ok(run_cli("add", more, "--index", index, "--quiet"))
    bad = [line for line in r.stderr.splitlines() if ": error: " in line]
    assert bad == [f'{more}:2: error: "body" holds a lone surrogate (\\ud800 at character 1), which is not text; skipped']
    assert search_ids(index) == {"g1", "g2", "g3", "g4"}


def test_deeply_nested_json_and_huge_numbers_are_bad_lines(tmp_path):
    deep = '{"id": "d", "body": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}"
    huge = '{"id": ' + "9" * 5000 + ', "body": "x"}'
    f = write_lines(tmp_path / "deep.jsonl", [good(1), deep, huge, good(2)])
    docs, report = run(f)
    assert [d.id for d in docs] == ["g1", "g2"]
    assert messages(report)[0] == f"{f}:2: error: invalid JSON: nested too deeply"
    assert messages(report)[1].startswith(f"{f}:3: error: invalid JSON: ")
    assert len(report.problems) == 2


def test_deeply_nested_json_through_reindex(tmp_path):
    deep = '{"id": "d", "body": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}"
    f = write_lines(tmp_path / "deep.jsonl", [good(1), deep, good(2)])
    r = cli_ok(run_cli("reindex", f, "--index", tmp_path / "ix", "--quiet"))
    assert f"{f}:2: error: invalid JSON: nested too deeply" in r.stderr.splitlines()
    assert search_ids(tmp_path / "ix") == {"g1", "g2"}


# -- binary data: judged line by line -------------------------------------------------------
def test_nul_byte_in_the_first_line_rejects_that_line_only(tmp_path):
    lines = [b'{"id": "n", "body": "\x00\x01 junk"}'] + [good(i) for i in range(1, 300)]
    lines.insert(150, b"\x00\x00\x00 PNG\x1a\x1b\x1c")
    lines.insert(200, '{"id": "c", "body": "ctl\x02\x03\x04\x05\x06\x07"}'.encode())
    f = write_lines(tmp_path / "mixed.jsonl", lines)
    docs, report = run(f)
    assert [d.id for d in docs] == [f"g{i}" for i in range(1, 300)]
    assert messages(report) == [
        f"{f}:1: error: binary data, not text (NUL byte at column 22)",
        f"{f}:151: error: binary data, not text (NUL byte at column 1)",
        f"{f}:201: error: binary data, not text (control bytes)",
    ]


def test_corpus_with_a_nul_line_first_keeps_every_good_line(tmp_path):
    require_corpus()
    corpus_lines = CORPUS.read_bytes().splitlines()[:400]
    expected = [d.id for d in run(write_lines(tmp_path / "plain.jsonl", corpus_lines))[0]]
    f = write_lines(tmp_path / "nul.jsonl", [b'{"id": "x", "body": "\x00"}', *corpus_lines])
    docs, report = run(f)
    assert [d.id for d in docs] == expected and len(expected) > 350
    assert f"{f}:1: error: binary data, not text (NUL byte at column 22)" in messages(report)


def test_a_jsonl_file_that_is_all_binary_is_one_bad_file(tmp_path):
    blob = tmp_path / "blob.jsonl"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    endless = tmp_path / "endless.jsonl"
    endless.write_bytes(b"\x00\x01\x02\n" * 5000)
    broken = write_lines(tmp_path / "broken.jsonl", ["{", "[1", "}"])   # text: each line reported
    docs, report = run(blob, endless, broken)
    assert docs == []
    assert messages(report) == [
        f"{blob}: error: binary file, not text",
        f"{endless}: error: binary file, not text (its first {ingest.BINARY_FILE_LINES} lines are not text)",
        f"{broken}:1: error: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{broken}:2: error: invalid JSON: Expecting ',' delimiter (column 3)",
        f"{broken}:3: error: invalid JSON: Expecting value (column 1)",
    ]


def test_binary_page_is_still_a_whole_file(tmp_path):
    (tmp_path / "blob.txt").write_bytes(b"Title\n\x00\x01\x02 body" * 50)
    docs, report = run(tmp_path / "blob.txt")
    assert docs == [] and messages(report) == [f"{tmp_path / 'blob.txt'}: error: binary file, not text"]


# -- file names that are not UTF-8 ----------------------------------------------------------
def _bytes_name(folder: Path, name: bytes) -> Path:
    try:
        fd = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
    except (OSError, ValueError) as exc:   # a file system that refuses non-UTF-8 names
        pytest.skip(f"cannot create a non-UTF-8 file name here: {exc}")
    os.close(fd)
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


def test_non_utf8_file_names_are_read_and_shown_escaped(tmp_path):
    page = _bytes_name(tmp_path, b"page\xff\xfe.txt")
    page.write_text(f"Аталыш\n{BODY}\n", encoding="utf-8")
    empty = _bytes_name(tmp_path, b"empty\xe9.txt")
    lines = _bytes_name(tmp_path, b"lines\xff.jsonl")
    write_lines(lines, [good(1), '{"id": "x"}'])
    docs, report = run(tmp_path)
    assert sorted(d.id for d in docs) == ["g1", "page\\xff\\xfe"]
    for d in docs:
        d.id.encode("utf-8"), d.origin.encode("utf-8"), d.content_hash()   # valid text
    assert sorted(messages(report)) == [
        f"'{tmp_path}/empty\\xe9.txt': error: empty file",
        f"'{tmp_path}/lines\\xff.jsonl':2: error: missing \"body\"",
    ]


def test_non_utf8_file_name_through_reindex(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _bytes_name(src, b"page\xff.txt").write_text(f"Аталыш\n{BODY}\n", encoding="utf-8")
    _bytes_name(src, b"bad\xff.jsonl").write_text(good(1) + "\n[]\n", encoding="utf-8")
    r = cli_ok(run_cli("reindex", src, "--index", tmp_path / "ix", "--quiet"))
    assert f"'{src}/bad\\xff.jsonl':2: error: expected a JSON object, got list" in r.stderr.splitlines()
    assert search_ids(tmp_path / "ix") == {"g1", "page\\xff"}


# -- files that are not regular -------------------------------------------------------------
def test_fifo_and_device_links_are_skipped_without_blocking(tmp_path):
    write_lines(tmp_path / "ok.jsonl", [good(1)])
    os.mkfifo(tmp_path / "pipe.jsonl")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    out = {}
    worker = threading.Thread(target=lambda: out.update(result=run(tmp_path, tmp_path / "zero.jsonl")),
                              daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():   # unblock the reader before failing
        with open(tmp_path / "pipe.jsonl", "wb"), open(tmp_path / "pipe.txt", "wb"):
            pass
        pytest.fail("ingest blocked on a FIFO")
    docs, report = out["result"]
    assert [d.id for d in docs] == ["g1"]
    assert messages(report) == [
        f"{tmp_path}/gone.txt: error: a broken symbolic link",
        f"{tmp_path}/pipe.jsonl: error: not a regular file (a FIFO); skipped",
        f"{tmp_path}/pipe.txt: error: not a regular file (a FIFO); skipped",
        f"{tmp_path}/zero.jsonl: error: not a regular file (a symbolic link to a character device); skipped",
        f"{tmp_path}/zero.jsonl: error: not a regular file (a symbolic link to a character device); skipped",
    ]


def test_fifo_and_dev_zero_through_reindex(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_lines(src / "ok.jsonl", [good(1), good(2)])
    os.mkfifo(src / "pipe.jsonl")
    (src / "zero.jsonl").symlink_to("/dev/zero")
    r = cli_ok(run_cli("reindex", src, "--index", tmp_path / "ix", "--quiet", timeout=120))
    assert f"{src}/pipe.jsonl: error: not a regular file (a FIFO); skipped" in r.stderr.splitlines()
    assert (f"{src}/zero.jsonl: error: not a regular file (a symbolic link to a character device); skipped"
            in r.stderr.splitlines())
    assert search_ids(tmp_path / "ix") == {"g1", "g2"}


def test_an_over_long_line_is_skipped_and_the_next_kept(tmp_path):
    long_line = json.dumps({"id": "big", "body": "сөз " * 100_000}, ensure_ascii=False)
    f = write_lines(tmp_path / "long.jsonl", [good(1), long_line, good(2)])
    docs, report = run(f, max_line=100_000)
    assert [d.id for d in docs] == ["g1", "g2"]
    assert messages(report) == [f"{f}:2: error: line longer than 100000 bytes; skipped"]
    # No newline at the end either
    f.write_bytes(good(1).encode() + b"\n" + b"x" * 300_000)
    docs, report = run(f, max_line=100_000)
    assert [d.id for d in docs] == ["g1"] and messages(report) == [f"{f}:2: error: line longer than 100000 bytes; skipped"]


_MEASURED_CLI = """
import resource, sys
from kgsearch.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def test_reindex_memory_stays_bounded_on_huge_files_and_lines(tmp_path):
    """A 400 MB file of zeros with no newline, and a 300 MB line between good ones: `kgsearch
    reindex` as a process never holds either (peak RSS far under their size), and keeps the good lines."""
    zeros = tmp_path / "zeros.jsonl"
    with open(zeros, "wb") as fh:          # sparse: costs no disk
        fh.truncate(400 << 20)
    long = tmp_path / "long.jsonl"
    with open(long, "wb") as fh:
        fh.write(good(1).encode() + b"\n" + b'{"id": "big", "body": "')
        fh.seek(300 << 20, os.SEEK_CUR)     # a hole: 300 MB of NUL bytes in the line
        fh.write(b'"}\n' + good(2).encode() + b"\n")
    small = tmp_path / "small.jsonl"
    small.write_text(good(1) + "\n" + good(2) + "\n", encoding="utf-8")
    base = subprocess.run([sys.executable, "-c", _MEASURED_CLI, "reindex", str(small),
                           "--index", str(tmp_path / "ix0"), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    cli_ok(base)
    base_mb = int(base.stderr.splitlines()[-1].split()[1]) / 1024   # the process itself (code, dictionaries)
    r = subprocess.run([sys.executable, "-c", _MEASURED_CLI, "reindex", str(zeros), str(long),
                        "--index", str(tmp_path / "ix"), "--quiet"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    cli_ok(r)
    lines = r.stderr.splitlines()
    assert f"{zeros}: error: binary file, not text" in lines
    assert f"{long}:2: error: line longer than {ingest.MAX_LINE} bytes; skipped" in lines
    maxrss_mb = int(lines[-1].split()[1]) / 1024
    assert maxrss_mb < base_mb + 150, f"peak RSS {maxrss_mb:.0f} MB, {base_mb:.0f} MB for two small lines"
    assert search_ids(tmp_path / "ix") == {"g1", "g2"}


def test_default_line_limit_follows_the_body_limit():
    assert Ingestor(max_body=1000).max_line == ingest.MAX_LINE == 64 << 20
    assert Ingestor(max_body=20_000_000).max_line == 6 * 20_000_000 + 65_536
    assert Ingestor().max_body == MAX_BODY == 1_000_000


# -- body and title limits ------------------------------------------------------------------
def test_long_body_is_indexed_truncated_at_a_sentence_end(tmp_path):
    body = " ".join(f"Сүйлөм номер {i} коррупция тууралуу." for i in range(200))
    f = write_lines(tmp_path / "big.jsonl", [good(1), json.dumps({"id": "big", "body": body}, ensure_ascii=False)])
    docs, report = run(f, max_body=1000)
    big = docs[1]
    assert len(big.body) <= 1000 and big.body.endswith("тууралуу.") and body.startswith(big.body)
    assert messages(report) == [f"{f}:2: warning: body has {len(body)} characters, over the limit of 1000; "
                                f"indexed truncated to {len(big.body)} (at a sentence end)"]


def test_truncation_falls_back_to_a_space_then_a_hard_cut():
    text, how = truncate_body("сөз " * 1000, 1001)
    assert how == "at a space" and len(text) <= 1001 and text.endswith("сөз")
    text, how = truncate_body("ж" * 5000, 1000)
    assert how == "mid-word" and text == "ж" * 1000


def test_long_page_file_is_read_only_up_to_its_limit(tmp_path):
    page = tmp_path / "long.txt"
    page.write_text("Узун барак\n" + "Коррупция тууралуу сүйлөм. " * 6000 + "акыркысөз", encoding="utf-8")
    docs, report = run(page, max_body=20_000)
    assert len(docs) == 1 and len(docs[0].body) <= 20_000 and "акыркысөз" not in docs[0].body
    assert docs[0].title == "Узун барак"
    assert [p.level for p in report.problems] == ["warning", "warning"]
    assert "only its first" in report.problems[0].reason and "truncated" in report.problems[1].reason


def test_max_body_through_the_environment_and_reindex(tmp_path):
    tail_word = "Сарыташзаводу"
    body = f"{BODY} " * 200 + tail_word
    f = write_lines(tmp_path / "big.jsonl", [good(1), json.dumps({"id": "big", "body": body}, ensure_ascii=False)])
    r = cli_ok(run_cli("reindex", f, "--index", tmp_path / "ix", "--quiet", env={"KGSEARCH_MAX_BODY": "2000"}))
    assert re.search(rf"^{re.escape(str(f))}:2: warning: body has {len(body)} characters, over the limit of "
                     r"2000; indexed truncated to \d+ \(at a sentence end\)$", r.stderr, re.M), r.stderr
    assert search_ids(tmp_path / "ix") == {"g1", "big"}
    assert search_ids(tmp_path / "ix", tail_word) == set()


def test_bad_max_body_environment_value_is_a_warning(tmp_path):
    from kgsearch.settings import Settings
    ing = Ingestor(settings=Settings.from_env({"KGSEARCH_MAX_BODY": "lots"}))
    assert ing.max_body == MAX_BODY
    assert messages(ing.report) == [f"KGSEARCH_MAX_BODY: warning: KGSEARCH_MAX_BODY='lots' is not a positive "
                                    f"number of characters; using {MAX_BODY}"]
    with pytest.raises(ValueError):
        Ingestor(max_body=0)


def test_one_title_limit_for_pages_and_json_lines(tmp_path):
    long_title = "Коррупция " * 60
    f = write_lines(tmp_path / "t.jsonl", [json.dumps({"id": "t", "title": long_title, "body": BODY},
                                                      ensure_ascii=False)])
    docs, report = run(f)
    assert len(docs[0].title) <= MAX_TITLE and docs[0].title.endswith("…")
    assert messages(report) == [f'{f}:1: warning: "title" has {len(long_title.strip())} characters; '
                                f"shortened to at most {MAX_TITLE}"]
    header = "Ж" * (MAX_TITLE + 1)
    assert parse_page(f"{header}\n{BODY}").title == ""        # too long for a title: it is body
    assert parse_page(f"{'Ж' * MAX_TITLE}\n{BODY}").title == "Ж" * MAX_TITLE
    untitled = write_lines(tmp_path / "u.jsonl", [json.dumps({"id": "u", "body": "сөз " * 500}, ensure_ascii=False)])
    assert len(run(untitled)[0][0].title) <= MAX_TITLE


# -- urls -----------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["javascript:alert(1)", "  JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "/relative/path", "ftp://x.kg/a"])
def test_a_url_that_is_not_http_is_kept_with_a_warning(tmp_path, url):
    f = write_lines(tmp_path / "u.jsonl", [good(1, url="https://24.kg/a/1"), good(2, url=url)])
    docs, report = run(f)
    assert [d.url for d in docs] == ["https://24.kg/a/1", url]
    assert messages(report) == [f'{f}:2: warning: "url" {url!r} is not an http(s) address; '
                                "kept, and shown as text, not as a link"]


def test_good_files_around_every_hostile_case_through_the_api(tmp_path):
    """All of it at once, in one folder: every good document kept, one line per bad item."""
    write_lines(tmp_path / "a.jsonl", [good(1), r'{"id": "s", "body": "\ud800"}', b"\x00", good(2)])
    write_jsonl(tmp_path / "b.jsonl", [{"id": "g3", "body": BODY, "url": "javascript:x"}])
    os.mkfifo(tmp_path / "c.jsonl")
    docs, report = run(tmp_path)
    assert [d.id for d in docs] == ["g1", "g2", "g3"]
    assert [(Path(p.path).name, p.line, p.level) for p in report.problems] == [
        ("a.jsonl", 2, "error"), ("a.jsonl", 3, "error"), ("b.jsonl", 1, "warning"), ("c.jsonl", None, "error")]


def test_a_byte_limit_never_cuts_a_character_in_two():
    data = "aж€😀b".encode("utf-8")
    for n in range(len(data) + 1):
        kept = ingest._cut_partial_utf8(data[:n])
        text = kept.decode("utf-8")          # never raises: no half character at the end
        assert "aж€😀b".startswith(text) and len(data[:n]) - len(kept) < 4
