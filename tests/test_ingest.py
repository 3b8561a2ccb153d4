"""Bad input never stops a run and never loses a good document; each problem is named once."""
import json

from indexer.ingest import Ingestor
from tests.helpers import SAMPLE, write_jsonl

GOOD = {"id": "a1", "body": "Прокуратура коррупция боюнча кылмыш ишин козгоду. Экинчи сүйлөм."}


def run(*sources):
    ing = Ingestor()
    docs = list(ing.documents(sources))
    return docs, ing.report


def test_jsonl_fields_and_title_from_first_sentence(tmp_path):
    f = write_jsonl(tmp_path / "a.jsonl", [
        GOOD,
        {"id": 7, "title": "Аталыш", "body": "Текст.", "date": "2025-09-18", "url": "https://x.kg/7",
         "source": "24.kg", "topics": ["crime"]},
    ])
    docs, report = run(f)
    assert [d.id for d in docs] == ["a1", "7"]
    assert docs[0].title == "Прокуратура коррупция боюнча кылмыш ишин козгоду."
    assert docs[1].title == "Аталыш" and docs[1].url == "https://x.kg/7" and docs[1].source == "24.kg"
    assert docs[1].date.isoformat() == "2025-09-18" and docs[1].date_source == "field"
    assert docs[1].topics == ["crime"]
    assert report.problems == []


def test_broken_lines_are_reported_and_good_ones_kept(tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text("\n".join([
        json.dumps(GOOD, ensure_ascii=False),
        '{"id": "b", "body": ',                      # 2: broken JSON
        json.dumps({"id": "c"}),                     # 3: no body
        json.dumps({"body": "текст"}, ensure_ascii=False),  # 4: no id
        json.dumps({"id": "a1", "body": "дубликат"}, ensure_ascii=False),  # 5: duplicate
        "[1, 2]",                                    # 6: not an object
        json.dumps({"id": "d", "body": "Жакшы документ."}, ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    docs, report = run(f)
    assert [d.id for d in docs] == ["a1", "d"]
    messages = [str(p) for p in report.problems]
    assert messages == [
        f"{f}:2: error: invalid JSON: Expecting value (column 21)",
        f'{f}:3: error: missing "body"',
        f'{f}:4: error: missing "id"',
        f'{f}:5: error: duplicate id "a1" (first seen at {f}:1); skipped',
        f"{f}:6: error: expected a JSON object, got list",
    ]


def test_cp1251_file_is_decoded_with_a_warning(tmp_path):
    f = tmp_path / "old.txt"
    f.write_bytes("01.02.2019\nКоррупция тууралуу\nПрокуратура текшерүү жүргүздү.".encode("cp1251", "replace"))
    docs, report = run(f)
    assert len(docs) == 1 and docs[0].title == "Коррупция тууралуу"
    assert [p.level for p in report.problems] == ["warning"]
    assert "decoded as cp1251" in report.problems[0].reason


def test_empty_binary_and_missing_files(tmp_path):
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (tmp_path / "notes.csv").write_text("a,b\n")   # not a document format: ignored, not an error
    write_jsonl(tmp_path / "ok.jsonl", [GOOD])
    docs, report = run(tmp_path, tmp_path / "nope")
    assert [d.id for d in docs] == ["a1"]
    reasons = sorted((p.path.rsplit("/", 1)[-1], p.reason) for p in report.problems)
    assert reasons == [("blob.txt", "binary file, not text"), ("empty.txt", "empty file"),
                       ("nope", "no such file or folder")]
    assert report.ignored_files == 1


def test_duplicate_ids_across_files(tmp_path):
    write_jsonl(tmp_path / "1.jsonl", [GOOD])
    write_jsonl(tmp_path / "2.jsonl", [GOOD])
    docs, report = run(tmp_path / "1.jsonl", tmp_path / "2.jsonl")
    assert len(docs) == 1
    assert len(report.errors) == 1 and "duplicate id" in report.errors[0].reason


def test_folder_is_read_recursively(tmp_path):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "page.txt").write_text((SAMPLE / "000_a04a57a4dc81b787.txt").read_text(encoding="utf-8"), encoding="utf-8")
    docs, _ = run(tmp_path)
    assert [d.id for d in docs] == ["page"]
