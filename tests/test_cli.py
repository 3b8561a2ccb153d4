"""``kgsearch`` as a user runs it: real processes, real files, exit codes."""
import json

from tests.helpers import SAMPLE, run_cli, write_jsonl


def test_reindex_then_search_json_finds_both_seed_pages(tmp_path):
    index = tmp_path / "ix"
    r = run_cli("reindex", SAMPLE.parent, "--index", index, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "indexed 2 · skipped 0" in r.stderr
    r = run_cli("search", "коррупция", "--json", "--index", index)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {h["id"] for h in data["hits"]} == {"000_a04a57a4dc81b787", "001_e1040fed04d77296"}
    r = run_cli("search", "коррупция", "--index", index, "--limit", "1")
    # one hit shown: the best one of the JSON answer (its title's first words), not the other
    first, second = (h["title"].split(",")[0][:30] for h in data["hits"])
    assert "2 found" in r.stdout and first in r.stdout and second not in r.stdout
    r = run_cli("stats", "--index", index, "--json")
    stats = json.loads(r.stdout)
    assert stats["documents"] == 2 and stats["date_range"] == ["2013-09-08", "2025-12-10"]
    assert stats["reindex_needed"] is False


def test_default_index_location_from_environment(tmp_path):
    env = {"KGSEARCH_INDEX": str(tmp_path / "envix")}
    assert run_cli("reindex", SAMPLE, "--quiet", env=env).returncode == 0
    assert (tmp_path / "envix" / "CURRENT").exists()
    assert json.loads(run_cli("search", "коррупция", "--json", env=env).stdout)["total"] == 2


def test_exit_codes_and_messages(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "g", "body": "Коррупция тууралуу текст."}])
    index = tmp_path / "ix"
    r = run_cli("reindex", bad, "--index", index, "--quiet")
    assert r.returncode == 1
    assert f'{bad}:1: error: missing "body"' in r.stderr and f"{bad}:2: error: invalid JSON" in r.stderr
    assert "nothing could be indexed" in r.stderr
    r = run_cli("reindex", bad, good, "--index", index, "--quiet", "--json")
    assert r.returncode == 0
    summary = json.loads(r.stdout)
    assert summary["indexed"] == 1 and summary["skipped"] == 2
    r = run_cli("reindex", bad, good, SAMPLE, "--index", index, "--quiet", "--strict")
    assert r.returncode == 3 and "--strict" in r.stderr
    assert json.loads(run_cli("stats", "--index", index, "--json").stdout)["documents"] == 1  # unchanged
    r = run_cli("search", "x", "--index", tmp_path / "none")
    assert r.returncode == 1 and "reindex" in r.stderr
    r = run_cli("search", "x", "--index", index, "--from", "someday")
    assert r.returncode == 2 and "someday" in r.stderr
