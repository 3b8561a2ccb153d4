"""The index records the data tables it was built with (sha256 per file, one combined hash, the
facet value lists); an index built with other tables is "reindex needed" and ``add`` refuses."""
from __future__ import annotations

import hashlib
import json
import shutil

from indexer import lang, places
from tests.helpers import ROOT, SAMPLE, run_cli, write_jsonl

DOC = {"id": "fp-1", "title": "Ошто пара", "body": "Ош шаарында пара алган кызматкер кармалды."}


def _manifest(index):
    name = (index / "CURRENT").read_text().strip()
    return json.loads((index / "generations" / name / "manifest.json").read_text())


def _stats(index, env=None):
    r = run_cli("stats", "--index", index, "--json", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _data_copy(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("__pycache__"))
    return data


def test_manifest_holds_a_hash_of_every_table_and_the_facet_lists(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    m = _manifest(index)
    files = m["data_fingerprint"]["files"]
    on_disk = sorted(p.relative_to(ROOT / "data").as_posix()
                     for folder in ("lang", "places") for p in (ROOT / "data" / folder).rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith("."))
    assert sorted(files) == on_disk and "places/units.tsv" in files and "lang/ky_suffixes.tsv" in files
    for name, digest in files.items():
        assert hashlib.sha256((ROOT / "data" / name).read_bytes()).hexdigest() == digest
    assert m["data_fingerprint"]["combined"] == lang.data_fingerprint()["combined"]
    assert m["facet_values"] == {"district": list(places.DISTRICTS), "oblast": list(places.OBLASTS)}
    assert _stats(index)["reindex_needed"] is False
    # an incremental add into a new index records them too
    fresh = tmp_path / "fresh"
    assert run_cli("add", write_jsonl(tmp_path / "a.jsonl", [DOC]), "--index", fresh, "-q").returncode == 0
    assert _manifest(fresh)["data_fingerprint"] == m["data_fingerprint"]


def test_reordered_gazetteer_rows_need_a_reindex_and_add_refuses(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    data = _data_copy(tmp_path)
    units = data / "places" / "units.tsv"
    lines = units.read_text(encoding="utf-8").splitlines(keepends=True)
    a, b = [i for i, ln in enumerate(lines) if ln.startswith("district\t")][:2]
    lines[a], lines[b] = lines[b], lines[a]   # two districts swap places: same set, other order
    units.write_text("".join(lines), encoding="utf-8")
    env = {"KGSEARCH_DATA": str(data)}

    s = _stats(index, env)
    assert s["reindex_needed"] is True and "places/units.tsv (changed)" in s["reindex_reason"], s
    r = run_cli("stats", "--index", index, env=env)
    assert "reindex needed" in r.stdout and "units.tsv" in r.stdout
    r = run_cli("add", write_jsonl(tmp_path / "a.jsonl", [DOC]), "--index", index, env=env)
    assert r.returncode == 5 and "units.tsv" in r.stderr and "kgsearch reindex" in r.stderr, r.stderr
    assert _stats(index, env)["documents"] == 2   # nothing was added

    # rebuilt with the new tables: fine with them, and now the original tables are the odd ones
    assert run_cli("reindex", SAMPLE, "--index", index, "-q", env=env).returncode == 0
    assert _stats(index, env)["reindex_needed"] is False
    m = _manifest(index)
    recorded = m["facet_values"]["district"] + m["facet_values"]["oblast"]
    code = list(places.DISTRICTS) + list(places.OBLASTS)
    assert recorded != code and sorted(recorded) == sorted(code)   # the new order, recorded
    assert _stats(index)["reindex_needed"] is True


def test_edited_added_and_removed_tables_are_named(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("reindex", SAMPLE, "--index", index, "-q").returncode == 0
    data = _data_copy(tmp_path)
    with open(data / "lang" / "stopwords_ky.tsv", "a", encoding="utf-8") as fh:
        fh.write("жемкорлук\n")
    (data / "lang" / "new_table.tsv").write_text("word\nx\n", encoding="utf-8")
    (data / "places" / "joiners.tsv").unlink()   # rewritten with the same content: not a change
    (data / "places" / "joiners.tsv").write_text((ROOT / "data" / "places" / "joiners.tsv").read_text())
    (data / "lang" / ".editor-swap").write_text("not a table")   # hidden files do not count
    s = _stats(index, {"KGSEARCH_DATA": str(data)})
    assert s["reindex_needed"] is True
    reason = s["reindex_reason"]
    assert "lang/stopwords_ky.tsv (changed)" in reason and "lang/new_table.tsv (new)" in reason
    assert "joiners" not in reason and "swap" not in reason
    # a table the index was built with and the code no longer has
    m = _manifest(index)
    m["data_fingerprint"]["files"]["places/old_table.tsv"] = "0" * 64
    m["data_fingerprint"]["combined"] = "changed"
    reason = lang.needs_reindex(m)
    assert reason.endswith("places/old_table.tsv (removed)"), reason


def test_needs_reindex_reasons():
    good = {"analyzer_version": __import__("indexer.analysis").analysis.ANALYZER_VERSION,
            **lang.index_dependencies()}
    assert lang.needs_reindex(good) is None
    assert "analyzer ky-0" in lang.needs_reindex({**good, "analyzer_version": "ky-0"})
    assert "no fingerprint" in lang.needs_reindex({"analyzer_version": good["analyzer_version"]})
    assert "no fingerprint" in lang.needs_reindex({**good, "data_fingerprint": "garbage"})
    facets = {**good["facet_values"], "oblast": good["facet_values"]["oblast"][::-1]}
    assert "facet value lists" in lang.needs_reindex({**good, "facet_values": facets})
