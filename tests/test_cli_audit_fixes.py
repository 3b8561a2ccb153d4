"""Fixes of a black-box audit of the command line and the ingest: wrong ``topics`` types, the
history a ``reindex`` without SOURCE replays, truncated segments and wrong manifest types
under the writing commands, Ctrl-C, and page headers with dates in their titles."""
import datetime as dt
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from indexer.fields import clean_values, keywords_problem
from indexer.ingest import Ingestor
from indexer.pages import parse_page
from tests.helpers import KGSEARCH, ROOT, run_cli, write_jsonl


def _current(index: Path) -> str:
    return (index / "CURRENT").read_text().strip()


def _manifest(index: Path) -> dict:
    return json.loads((index / "generations" / _current(index) / "manifest.json").read_text("utf-8"))


def _hits(index: Path) -> dict[str, str]:
    r = run_cli("search", "", "--json", "--index", index, "--limit", "100")
    assert r.returncode == 0, r.stderr
    return {h["id"]: h["title"] for h in json.loads(r.stdout)["hits"]}


def _one_line(r, code: int) -> str:
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "Aborted" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("kgsearch: ")]
    assert len(lines) == 1, r.stderr
    return lines[0]


# -- 1. "topics" of a wrong type is an error of its line -------------------------------------------
BAD_TOPICS = [(5, "a number"), (True, "true/false"), ({"politics": 1}, "an object"),
              (["politics", None], "item 2 is null"), ([["x"]], "item 1 is a list"), (1.5, "a number")]


def test_topics_of_a_wrong_type_skip_their_line_and_keep_the_others(tmp_path):
    lines = [{"id": "ok1", "body": "Коррупция."}]
    lines += [{"id": f"bad{n}", "body": "Сот.", "topics": t} for n, (t, _) in enumerate(BAD_TOPICS)]
    lines += [{"id": "ok2", "body": "Сот.", "topics": [" Politics ", 7, "politics"]},
              {"id": "ok3", "body": "Сот.", "topics": "health"}, {"id": "ok4", "body": "Сот.", "topics": None}]
    src = write_jsonl(tmp_path / "t.jsonl", lines)
    index = tmp_path / "ix"
    for cmd in ("reindex", "add"):
        r = run_cli(cmd, src, "--index", index, "-q", "--json")
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr    # some lines skipped: 0
        for n, (_, why) in enumerate(BAD_TOPICS, start=2):
            assert f'{src}:{n}: error: "topics" must be a string or a list of strings' in r.stderr
            assert why in [ln for ln in r.stderr.splitlines() if ln.startswith(f"{src}:{n}:")][0]
        assert json.loads(r.stdout)["skipped"] == len(BAD_TOPICS)
    assert set(_hits(index)) == {"ok1", "ok2", "ok3", "ok4"}
    r = run_cli("search", "", "--topic", "politics", "--json", "--index", index)
    hit = json.loads(r.stdout)["hits"][0]
    assert hit["id"] == "ok2" and hit["topics"] == ["Politics", "7"]
    assert run_cli("reindex", src, "--index", index, "-q", "--strict").returncode == 3


def test_keyword_values_are_never_guessed():
    assert keywords_problem("topics", {"a": 1}) and keywords_problem("topics", 5)
    assert keywords_problem("topics", ["a", "b"]) is None and keywords_problem("topics", "a") is None
    assert clean_values("  a  b ") == ["a b"] and clean_values(None) == []
    for wrong in (5, {"a": 1}, True):
        with pytest.raises(TypeError):
            clean_values(wrong)


# -- 2. reindex without SOURCE reproduces what was served ------------------------------------------
def test_sourceless_reindex_replays_adds_and_deletes(tmp_path):
    day1 = write_jsonl(tmp_path / "day1.jsonl", [{"id": "a1", "body": "Биринчи макала."},
                                                 {"id": "a2", "body": "Эски текст."},
                                                 {"id": "a3", "body": "Үчүнчү макала."}])
    day2 = write_jsonl(tmp_path / "day2.jsonl", [{"id": "a2", "body": "Жаңы текст."}])
    index = tmp_path / "ix"
    assert run_cli("reindex", day1, "--index", index, "-q").returncode == 0
    assert run_cli("add", day2, "--index", index, "-q").returncode == 0
    assert run_cli("delete", "a1", "nope", "--index", index).returncode == 0
    served = _hits(index)
    assert served == {"a2": "Жаңы текст.", "a3": "Үчүнчү макала."}
    assert _manifest(index)["history"] == [
        {"kind": "reindex", "sources": [str(day1)]}, {"kind": "add", "sources": [str(day2)]},
        {"kind": "delete", "ids": ["a1"]}]                  # only the ids really deleted

    r = run_cli("reindex", "--index", index, "-q", "--json")
    assert r.returncode == 0, r.stderr
    assert "duplicate id" not in r.stderr and "replaying its history" in r.stderr
    summary = json.loads(r.stdout)
    assert (summary["indexed"], summary["skipped"], summary["replaced"], summary["kept_deleted"]) == (2, 0, 1, 1)
    assert _hits(index) == served
    history = _manifest(index)["history"]                   # recorded again: the next rebuild too
    assert len(history) == 3

    # the history survives optimize and rollback; a later add of a deleted id brings it back
    assert run_cli("optimize", "--index", index).returncode == 0
    assert _manifest(index)["history"] == history
    day3 = write_jsonl(tmp_path / "day3.jsonl", [{"id": "a1", "body": "Кайра келди."}])
    assert run_cli("add", day3, "--index", index, "-q").returncode == 0
    assert run_cli("reindex", "--index", index, "-q").returncode == 0
    assert _hits(index) == {**served, "a1": "Кайра келди."}
    assert run_cli("rollback", "--index", index).returncode == 0   # the generation before the rebuild
    assert _manifest(index)["history"][-1] == {"kind": "add", "sources": [str(day3)]}

    # re-adding a source moves it to the end of the history instead of repeating it
    assert run_cli("add", day1, "--index", index, "-q").returncode == 0
    history = _manifest(index)["history"]
    assert [s.get("sources") for s in history if s["kind"] != "delete"] == [[str(day2)], [str(day3)], [str(day1)]]
    expect = {"a1": "Биринчи макала.", "a2": "Эски текст.", "a3": "Үчүнчү макала."}
    assert _hits(index) == expect
    assert run_cli("reindex", "--index", index, "-q").returncode == 0
    assert _hits(index) == expect

    # an explicit reindex keeps its semantics (first wins, reported) and starts a new history
    r = run_cli("reindex", day1, day2, "--index", index, "-q", "--allow-shrink")
    assert r.returncode == 0 and f'{day2}:1: error: duplicate id "a2"' in r.stderr
    assert _manifest(index)["history"] == [{"kind": "reindex", "sources": [str(day1), str(day2)]}]


# -- 3. a truncated segment: the writing commands exit 8 like the reading ones ---------------------
@pytest.mark.parametrize("size", [0, 100])
def test_truncated_segment_exits_8_for_writing_commands(tmp_path, size):
    src = write_jsonl(tmp_path / "c.jsonl", [{"id": "a1", "body": "x"}, {"id": "a2", "body": "y"}])
    index = tmp_path / "ix"
    assert run_cli("reindex", src, "--index", index, "-q").returncode == 0
    served = _current(index)
    for seg in (index / "generations" / served).glob("*.seg"):
        os.truncate(seg, size)
    expected = _one_line(run_cli("stats", "--index", index), 8)
    assert "cannot be opened" in expected
    for cmd in (["delete", "a1"], ["optimize"], ["add", src]):
        assert _one_line(run_cli(*cmd, "--index", index), 8) == expected, cmd
    assert _current(index) == served and [p.name for p in (index / "generations").iterdir()] == [served]


# -- 4. wrong types in manifest.json ---------------------------------------------------------------
@pytest.mark.parametrize("key, value", [("sources", "/"), ("sources", 5), ("sources", ["/x", 3]),
                                        ("documents", "7"), ("updates", {}), ("history", "/"),
                                        ("history", [{"kind": "add", "sources": "/"}])])
def test_manifest_fields_of_a_wrong_type_exit_8(tmp_path, key, value):
    src = write_jsonl(tmp_path / "c.jsonl", [{"id": "a1", "body": "x"}])
    index = tmp_path / "ix"
    assert run_cli("reindex", src, "--index", index, "-q").returncode == 0
    path = index / "generations" / _current(index) / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest[key] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")
    for cmd in (["stats"], ["search", "x"], ["delete", "a1"], ["optimize"], ["add", src], ["reindex"]):
        line = _one_line(run_cli(*cmd, "--index", index, timeout=60), 8)
        assert "manifest.json is not valid" in line and f'"{key}"' in line, (cmd, line)


# -- 5. Ctrl-C ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("procs", ["1", "2"])
def test_ctrl_c_during_reindex_leaves_the_served_index(tmp_path, procs):
    small = write_jsonl(tmp_path / "small.jsonl", [{"id": "s", "body": "Коррупция."}])
    index = tmp_path / "ix"
    assert run_cli("reindex", small, "--index", index, "-q").returncode == 0
    served = _current(index)
    words = "коррупция сот прокуратура министр район акча бюджет мыйзам кеңеш депутат".split()
    big = write_jsonl(tmp_path / "big.jsonl", [
        {"id": f"b{i}", "body": " ".join(words[(i * 7 + k) % len(words)] for k in range(200)) + "."}
        for i in range(4000)])
    proc = subprocess.Popen([*KGSEARCH, "reindex", str(big), "--index", str(index), "--procs", procs, "-q",
                             "--allow-shrink"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,       # its own group, like a terminal's job
                            # as from a terminal: a suite started in the background (`make test &`,
                            # nohup) has SIGINT ignored, and an ignored signal is inherited across exec
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((index / "generations").iterdir())) < 2:
        time.sleep(0.05)                                        # the new generation is being written
    time.sleep(1.0)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)                         # Ctrl-C reaches the whole group
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted" not in err and "Process _ChildTask" not in err, err
    assert [ln for ln in err.splitlines() if ln.strip()] == ["kgsearch: interrupted; the served index is unchanged"]
    assert _current(index) == served and [p.name for p in (index / "generations").iterdir()] == [served]
    assert set(_hits(index)) == {"s"}


# -- 6. page headers: dates in titles, unreadable date lines -----------------------------------------
def test_a_title_with_a_date_is_the_title():
    page = parse_page("10.12.2025\n\nКароолор: (5)\n\n2025-жылдын 9-декабрындагы жыйындын жыйынтыктары\n\n"
                      "Жыйында коррупцияга каршы иш-чаралар талкууланды.\n")
    assert page.title == "2025-жылдын 9-декабрындагы жыйындын жыйынтыктары"
    assert page.date_line == "10.12.2025" and page.views == 5 and page.problems == []
    assert page.body == "Жыйында коррупцияга каршы иш-чаралар талкууланды."
    # without another date line the title is still the title (and its date does not date the page)
    page = parse_page("2025-жылдын 9-декабрындагы жыйындын жыйынтыктары\nЖыйын өттү.\n")
    assert page.title.startswith("2025-жылдын") and page.date_line is None and page.body == "Жыйын өттү."
    # date lines with a time, a year word, a weekday are still date lines
    for line in ("23.04.2020 13:54", "08-Сентябрь 2013-ж.", "Шаршемби, 10.12.2025"):
        assert parse_page(f"{line}\nАталыш\nТекст.").date_line == line


@pytest.mark.parametrize("line", ["31-февраль 2024", "29.02.2023"])
def test_an_unreadable_date_line_is_a_warning_and_the_title_is_kept(tmp_path, line):
    page = tmp_path / "p.txt"
    page.write_text(f"{line}\nКароолор: (5)\nЧыныгы аталыш\nТекст бул жерде.\n", encoding="utf-8")
    problems = []
    docs = list(Ingestor(on_problem=problems.append).documents([page]))
    assert len(docs) == 1 and docs[0].title == "Чыныгы аталыш" and docs[0].body == "Текст бул жерде."
    assert docs[0].date_source == "none" and docs[0].views == 5
    assert [str(p) for p in problems] == [f"{page}:1: warning: the date line {line!r} is not a valid date; "
                                          "the page is dated from its body, if at all"]


def test_a_page_with_a_dated_title_and_a_one_paragraph_body_is_indexed(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "p.txt").write_text(
        "10.12.2025\n2025-жылдын 9-декабрындагы жыйындын жыйынтыктары\nЖыйын өттү.\n", encoding="utf-8")
    r = run_cli("reindex", tmp_path / "src", "--index", tmp_path / "ix", "-q")
    assert r.returncode == 0 and "indexed 1 · skipped 0" in r.stderr, r.stderr
    doc = Ingestor().documents([tmp_path / "src"])
    assert next(doc).date == dt.date(2025, 12, 10)


# -- 7. search output on a terminal, and a reader that leaves early --------------------------------
def test_search_output_carries_no_terminal_control_sequences(tmp_path):
    evil = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
    src = write_jsonl(tmp_path / "e.jsonl", [{"id": "e1", "title": f"Коррупция {evil}жаңылык",
                                              "body": f"Коррупция {evil} боюнча иш козголду."}])
    index = tmp_path / "ix"
    assert run_cli("reindex", src, "--index", index, "-q").returncode == 0
    r = run_cli("search", "коррупция", "--index", index)
    assert r.returncode == 0, r.stderr
    assert not any(c in r.stdout for c in "\x1b\x07\x9b"), repr(r.stdout)
    assert "e1" in r.stdout and "Коррупция" in r.stdout


def test_search_piped_into_a_reader_that_stops_early_exits_0(tmp_path):
    src = write_jsonl(tmp_path / "m.jsonl", [{"id": f"d{i}", "body": f"Коррупция иши {i} " + "сот " * 400}
                                             for i in range(100)])
    index = tmp_path / "ix"
    assert run_cli("reindex", src, "--index", index, "-q").returncode == 0
    r = subprocess.run(f"{' '.join(KGSEARCH)} search коррупция -n 100 --index {index} | head -n 1; "
                       "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("100 found"), (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "Broken pipe" not in r.stderr, r.stderr


# -- 8. UTF-16 input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_page_is_read_and_a_utf16_jsonl_is_named(tmp_path, encoding):
    text = "10.12.2025\nАталыш\nКоррупцияга каршы иш-чаралар талкууланды.\n"
    bom = b"\xfe\xff" if encoding == "utf-16-be" else b""
    page = tmp_path / "p.txt"
    page.write_bytes(bom + text.encode(encoding))
    problems = []
    docs = list(Ingestor(on_problem=problems.append).documents([page]))
    assert len(docs) == 1 and docs[0].title == "Аталыш" and docs[0].date == dt.date(2025, 12, 10)
    assert [str(p) for p in problems] == [f"{page}: warning: UTF-16 text (byte-order mark); read as UTF-16"]
    lines = tmp_path / "d.jsonl"
    lines.write_bytes(bom + json.dumps({"id": "a", "body": "Коррупция."}, ensure_ascii=False).encode(encoding))
    problems.clear()
    assert list(Ingestor(on_problem=problems.append).documents([lines])) == []
    assert len(problems) == 1 and "UTF-16 text" in str(problems[0]) and "iconv" in str(problems[0])


# -- 9. a minus word on the command line ------------------------------------------------------------
def test_a_minus_word_is_a_query_word_not_an_option(tmp_path):
    src = write_jsonl(tmp_path / "m.jsonl", [{"id": "a", "body": "Коррупция жана пара."},
                                            {"id": "b", "body": "Коррупция боюнча сот."}])
    index = tmp_path / "ix"
    assert run_cli("reindex", src, "--index", index, "-q").returncode == 0
    r = run_cli("search", "коррупция", "-пара", "--json", "--index", index)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["query"] == "коррупция -пара" and [h["id"] for h in out["hits"]] == ["b"]
    r = run_cli("export", "коррупция", "-пара", "--format", "jsonl", "--index", index)
    assert r.returncode == 0 and [json.loads(x)["id"] for x in r.stdout.splitlines()] == ["b"], r.stderr
    assert json.loads(run_cli("search", "коррупция", "-n", "1", "--json", "--index", index).stdout)["per_page"] == 1
    r = run_cli("search", "коррупция", "--limt", "3", "--index", index)
    assert r.returncode == 2 and "No such option '--limt'" in r.stderr


# -- 10. a mistyped --index ---------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", [["delete", "a1"], ["optimize"], ["rollback"]])
def test_a_mistyped_index_folder_is_left_uncreated(tmp_path, cmd):
    typo = tmp_path / "no-such-index"
    r = run_cli(*cmd, "--index", typo)
    assert r.returncode == 1 and f"no index at {typo}" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not typo.exists()


# -- 11. files of other formats in a folder are named, not silently passed over ---------------------
def test_files_a_folder_holds_in_other_formats_are_reported(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("10.12.2025\nАталыш\nКоррупция боюнча текст.\n", encoding="utf-8")
    for name in ("b.html", "c.pdf", "d.docx", "e.csv"):
        (src / name).write_bytes(b"x")
    r = run_cli("reindex", src, "--index", tmp_path / "ix", "-q")
    assert r.returncode == 0, r.stderr
    line = [ln for ln in r.stderr.splitlines() if "not read" in ln]
    assert line == [f"kgsearch: 4 file(s) in the folders not read (only .jsonl .ndjson .text .txt are documents): "
                    f"{src / 'b.html'}, {src / 'c.pdf'}, {src / 'd.docx'}, …"], r.stderr
    r = run_cli("add", src, "--index", tmp_path / "ix", "-q", "--json")
    assert json.loads(r.stdout)["ignored_files"] == 4 and "4 file(s) in the folders not read" not in r.stdout


def test_an_html_file_named_on_its_own_is_an_error_not_words(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html>\n<html><body><p>Коррупция</p></body></html>\n", encoding="utf-8")
    problems = []
    assert list(Ingestor(on_problem=problems.append).documents([page])) == []
    assert [str(p) for p in problems] == [f"{page}: error: an HTML page, not text: its markup would be indexed "
                                          "as words; save the page as text (.txt) or as JSON Lines"]


# -- 12. a date after today is no publication date ---------------------------------------------------
def test_a_date_after_today_is_a_warning_and_not_the_date(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text("10.12.2099\nАталыш\nКоррупция боюнча текст.\n", encoding="utf-8")
    lines = write_jsonl(tmp_path / "d.jsonl", [{"id": "f", "body": "Текст.", "date": "2099-01-01"},
                                               {"id": "t", "body": "Текст.",
                                                "date": (dt.date.today() + dt.timedelta(days=1)).isoformat()}])
    problems = []
    docs = {d.id: d for d in Ingestor(on_problem=problems.append).documents([page, lines])}
    assert docs["p"].date is None and docs["p"].date_source == "none" and docs["p"].title == "Аталыш"
    assert docs["f"].date is None and docs["t"].date == dt.date.today() + dt.timedelta(days=1)   # a day of slack
    assert [str(p) for p in problems] == [
        f"{page}: warning: the date line '10.12.2099' is after today; the page is dated from its body, if at all",
        f"{lines}:1: warning: after today: \"date\" '2099-01-01'; reading the date from the body"]


def test_an_id_of_the_wrong_type_says_what_it_is(tmp_path):
    src = write_jsonl(tmp_path / "i.jsonl", [{"id": 1.5, "body": "a"}, {"id": True, "body": "b"},
                                            {"id": [1], "body": "c"}, {"id": 7, "body": "d"}])
    problems = []
    assert [d.id for d in Ingestor(on_problem=problems.append).documents([src])] == ["7"]
    assert [str(p) for p in problems] == [f'{src}:1: error: "id" must be a string or a whole number, not 1.5',
                                          f'{src}:2: error: "id" must be a string or a whole number, not true/false',
                                          f'{src}:3: error: "id" must be a string or a whole number, not a list']
