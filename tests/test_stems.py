"""The stems file beside a generation (indexer/stems.py): written with every word form the index
holds and exactly the stems the analyzer gives; loaded when the engine opens the generation, so
that the stemmer does not run for those words; ignored when it is not this analyzer's, these
tables', or does not check out; an ``add`` carries the old forms over and stems the new ones."""
from __future__ import annotations

import hashlib

import pytest

from indexer import analysis, morphology, stems
from indexer.build import rebuild
from indexer.store import IndexStore
from indexer.update import update
from search.engine import SearchEngine
from tests.helpers import write_jsonl

DOCS = [
    {"id": "a", "body": "Тоң районунда коррупцияга каршы күрөш күчөдү. Жалал-Абад облусунда соттор иштеди."},
    {"id": "b", "body": "Прокуратура 2025-жылдын 3-мартында мамлекеттик кызматкерлерди текшерди."},
]


@pytest.fixture()
def store(tmp_path):
    st = IndexStore(tmp_path / "ix")
    assert rebuild(st, [str(write_jsonl(tmp_path / "a.jsonl", DOCS))]).published
    yield st
    analysis.clear_caches()


def _file(store):
    return store.path(store.current()) / stems.FILE


def _indexed_forms(store) -> set[str]:
    engine = SearchEngine(store=store)
    reader = engine.state().reader           # Whoosh's terms and the marked postings' (indexer/marked.py)
    forms = {t[1:] for f in ("title", "body") for t in reader.field_terms(f) if t.startswith("=")}
    engine.close()
    return forms


def test_every_indexed_form_with_the_analyzers_stem(store):
    got = stems.read(_file(store))
    assert got is not None and set(got) == _indexed_forms(store)
    assert {"районунда", "коррупцияга", "жалал-абад", "соттор"} <= set(got)
    analysis.clear_caches()
    assert all(analysis.stem_normalized(form) == stem for form, stem in got.items())
    assert got["районунда"] == "район" and got["жалал-абад"] == analysis.stem_normalized("жалал-абад")


def test_the_engine_loads_them_and_the_stemmer_does_not_run_for_indexed_words(store, monkeypatch):
    analysis.clear_caches()
    engine = SearchEngine(store=store)
    engine.search("коррупция")                     # opens the generation: loads its stems
    calls = []
    monkeypatch.setattr(analysis, "stem_word", lambda w: calls.append(w) or morphology.stem_word(w))
    hit = engine.search("районунда соттор")["hits"][0]
    assert hit["id"] == "a" and "<mark>районунда</mark>" in hit["snippet"]
    assert calls == []                              # every word of the hit and the query was known
    engine.search("районундагылар")                 # a form the index does not have: stemmed
    assert calls == ["районундагылар"]
    engine.close()


@pytest.mark.parametrize("damage", ["version", "tables", "digest", "count", "line", "missing"])
def test_a_file_that_does_not_check_out_is_ignored(store, damage, monkeypatch):
    path = _file(store)
    head, _, body = path.read_text(encoding="utf-8").partition("\n")
    parts = head.split(" ")          # "#", "kgsearch-stems", analyzer, tables, count, sha256
    if damage == "version":
        parts[2] = "ky-0"
    elif damage == "tables":
        parts[3] = "0" * 64
    elif damage == "count":
        parts[4] = str(int(parts[4]) + 1)
    elif damage == "digest":
        body = body.replace("район", "районн", 1)
    elif damage == "line":           # a malformed line under a digest that checks out
        body = body.replace("\t", " ", 1)
        parts[5] = hashlib.sha256(body.encode("utf-8")).hexdigest()
    if damage == "missing":
        path.unlink()
    else:
        path.write_text(" ".join(parts) + "\n" + body, encoding="utf-8")
    assert stems.read(path) is None
    analysis.clear_caches()
    assert stems.load(path.parent) == 0 and not analysis._KNOWN_STEMS
    engine = SearchEngine(store=store)
    assert engine.search("районунда")["total"] == 1          # served as before: the stemmer runs
    engine.close()


def test_add_keeps_the_old_forms_and_stems_the_new(store, tmp_path, monkeypatch):
    old = stems.read(_file(store))
    src = write_jsonl(tmp_path / "b.jsonl", [{"id": "c", "body": "Бишкекте жаңы мектептер ачылды."}])
    stemmed = []
    real = analysis.stem_normalized
    monkeypatch.setattr(analysis, "stem_normalized", lambda w: stemmed.append(w) or real(w))
    assert update(store, [str(src)]).published
    new = stems.read(_file(store))
    assert new is not None and set(new) == _indexed_forms(store)
    assert set(old) < set(new) and all(new[f] == s for f, s in old.items())
    assert set(stemmed) == set(new) - set(old)      # only the new words went through the stemmer
