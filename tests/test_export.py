"""Export (issue 15): every match of a search as CSV / JSON Lines, the same set `total` counts, in
the same order as the search pages, from the API and from `kgsearch export`."""
from __future__ import annotations

import csv
import io
import json

import pytest

from search.engine import SearchEngine
from tests.helpers import build_index, run_cli, write_jsonl
from tests.dated_corpus import dated_store  # noqa: F401  (fixture)
from web import create_app
from web.export import COLUMNS

SAMPLE_CASES = [{"q": "коррупция"}, {"q": ""}, {"q": "пара алуу"}, {"q": "коррупция", "sort": "oldest"},
                {"q": "коррупция", "district": "Тоң"}, {"q": "жок-сөз-кызыл"}]
CORPUS_CASES = [
    {"q": "коррупция"},
    {"q": "коррупция", "oblast": "Бишкек"},
    {"q": "пара алуу"},                                   # all-words tier, then partial matches
    {"q": "сот OR прокуратура", "oblast": "Ош", "sort": "newest"},
    {"q": "президент -шайлоо", "sort": "oldest"},
    {"q": "", "district": "Ноокат"},
    {"q": '"мамлекеттик органдардын"'},
]


def search_ids(client, params) -> tuple[int, list[str]]:
    """Every id the search's total counts (the full matches, not the partial ones that
    follow them), page by page (100 a page), and its total."""
    ids, page = [], 1
    while True:
        r = client.get("/api/search", query_string={**params, "per_page": 100, "page": page})
        assert r.status_code == 200, r.get_data(as_text=True)
        data = r.get_json()
        ids += [h["id"] for h in data["hits"] if not h["partial"]]
        if page >= data["pages"]:
            return data["total"], ids
        page += 1


def export_csv(client, params, **extra) -> tuple[list[dict], object]:
    r = client.get("/api/export", query_string={**params, "format": "csv", **extra})
    assert r.status_code == 200, r.get_data(as_text=True)
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")                      # a BOM: spreadsheets read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return rows, r


def export_jsonl(client, params, **extra) -> list[dict]:
    r = client.get("/api/export", query_string={**params, "format": "jsonl", **extra})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in r.get_data(as_text=True).splitlines()]


def check_same_as_search(client, params):
    total, ids = search_ids(client, params)
    rows, resp = export_csv(client, params)
    assert len(rows) == total == int(resp.headers["X-Total-Count"])
    assert [r["id"] for r in rows] == ids
    assert list(rows[0].keys()) == list(COLUMNS) if rows else True
    lines = export_jsonl(client, params)
    assert [r["id"] for r in lines] == ids
    return total, rows, lines


@pytest.mark.parametrize("params", SAMPLE_CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_sample_export_is_every_match_in_order(client, params):
    check_same_as_search(client, params)


@pytest.mark.slow
def test_corpus_export_is_every_match_in_order(corpus_engine):
    client = create_app({"ENGINE": corpus_engine, "TESTING": True}).test_client()
    totals = []
    for params in CORPUS_CASES:
        total, rows, lines = check_same_as_search(client, params)
        totals.append(total)
        # the same values in both formats; scores only when ranked by relevance
        for row, line in zip(rows[:50], lines[:50]):
            assert row["title"].lstrip("'") == line["title"] and row["date"] == (line["date"] or "")
            assert row["districts"] == "; ".join(line["districts"])
        ranked = params.get("sort") in (None, "relevance") and params["q"]
        assert all((line["score"] is not None) == bool(ranked) for line in lines)
        if ranked:
            assert all(a["score"] >= b["score"] - 1e-9 for a, b in zip(lines, lines[1:]) if a["score"] and b["score"]) \
                or params["q"] == "пара алуу"      # two tiers: all words first, each by score
    assert max(totals) > 100 and min(totals) > 0       # real sets, several pages each


@pytest.mark.slow
def test_dated_export_with_date_filters(dated_store):
    client = create_app({"ENGINE": SearchEngine(store=dated_store), "TESTING": True}).test_client()
    for params in [{"q": "сот", "from": "2021", "to": "2023-06"}, {"q": "пара алуу", "from": "2020-03-01"},
                   {"q": "", "to": "2020", "sort": "oldest"}, {"q": "президент", "sort": "newest"}]:
        total, rows, _ = check_same_as_search(client, params)
        assert total > 0
        if "from" in params or "to" in params:
            assert all(r["date"] for r in rows)          # a date filter leaves undated ones out


def test_body_only_when_asked(client):
    plain = export_jsonl(client, {"q": "коррупция"})
    assert plain and all("body" not in r for r in plain)
    full = export_jsonl(client, {"q": "коррупция"}, fields="body")
    for r in full:
        doc = client.get(f"/api/doc/{r['id']}").get_json()
        assert r["body"] and "".join(r["body"].split()).startswith("".join(doc["body_html"][0].split())[:20])
    rows, _ = export_csv(client, {"q": "коррупция"}, fields="body")
    assert list(rows[0].keys()) == [*COLUMNS, "body"] and [r["body"] for r in rows] == [r["body"] for r in full]


def test_download_headers_and_errors(client):
    _, resp = export_csv(client, {"q": "коррупция"})
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=kgsearch-")
    assert resp.headers["Content-Disposition"].endswith(".csv")
    assert resp.headers["Content-Security-Policy"]                # the hardened headers stay
    for qs, word in [({"format": "xls"}, "format"), ({"fields": "secret"}, "fields"),
                     ({"from": "garbage"}, "date"), ({"sort": "random"}, "sort"), ({"q": "x" * 1001}, "too long"),
                     ({"district": "Атлантида"}, "district")]:
        r = client.get("/api/export", query_string=qs)
        assert r.status_code == 400, qs
        body = r.get_json()
        assert set(body) == {"error", "status"} and body["status"] == 400 and word in body["error"]


def test_csv_quoting_and_formula_cells(tmp_path):
    titles = ['=HYPERLINK("http://evil.example","клик") паракорлук', 'A, "quoted"\nline паракорлук',
              "+1 паракорлук", "@SUM(A1) паракорлук", "-2 паракорлук", "Жөнөкөй паракорлук"]
    docs = [{"id": f"d{n}", "title": t, "body": f"Паракорлук {n}.", "date": f"2024-01-{n + 1:02d}",
             "url": "https://24.kg/a,b"} for n, t in enumerate(titles)]
    store = build_index(tmp_path / "ix", [write_jsonl(tmp_path / "d.jsonl", docs)])
    client = create_app({"ENGINE": SearchEngine(store=store), "TESTING": True}).test_client()
    rows, _ = export_csv(client, {"q": "паракорлук", "sort": "oldest"})
    lines = export_jsonl(client, {"q": "паракорлук", "sort": "oldest"})
    assert [r["id"] for r in rows] == [f"d{n}" for n in range(len(titles))]
    assert [line["title"] for line in lines] == titles                 # JSON Lines: as stored
    for row, title in zip(rows, titles):
        # a spreadsheet never sees a formula: such cells start with an apostrophe
        assert row["title"] == ("'" + title if title[0] in "=+-@" else title)
        assert row["url"] == "https://24.kg/a,b"


def test_cli_export_equals_api(sample_store, client, tmp_path):
    api = client.get("/api/export", query_string={"q": "коррупция", "format": "csv"}).get_data()
    out = tmp_path / "x.csv"
    done = run_cli("export", "коррупция", "--index", sample_store.root, "--format", "csv", "--output", out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == api
    done = run_cli("export", "коррупция", "--index", sample_store.root, "--format", "jsonl", "--fields", "body")
    assert done.returncode == 0, done.stderr
    api = client.get("/api/export", query_string={"q": "коррупция", "format": "jsonl", "fields": "body"})
    assert done.stdout == api.get_data(as_text=True)
    bad = run_cli("export", "коррупция", "--index", sample_store.root, "--from", "garbage")
    assert bad.returncode == 2 and "not a date" in bad.stderr and "Traceback" not in bad.stderr


def test_matches_streams_lazily(sample_engine):
    total, rows = sample_engine.matches("коррупция")
    assert total == sample_engine.search("коррупция")["total"]
    assert iter(rows) is rows                            # a generator, not a list
    assert len(list(rows)) == total


def test_export_survives_a_generation_switch(tmp_path):
    """A long export keeps streaming its own snapshot when the served generation changes under it."""
    from indexer.build import rebuild
    docs = [{"id": f"d{n}", "title": f"Паракорлук {n}", "body": f"Паракорлук жөнүндө {n}.",
             "date": f"2024-02-{n + 1:02d}"} for n in range(6)]
    source = write_jsonl(tmp_path / "d.jsonl", docs)
    store = build_index(tmp_path / "ix", [source])
    engine = SearchEngine(store=store)
    total, rows = engine.matches("паракорлук", sort="oldest", chunk=2)
    first = [next(rows)["id"], next(rows)["id"]]
    write_jsonl(source, docs[:3])
    assert rebuild(store, [str(source)], allow_shrink=True).published
    assert engine.search("паракорлук")["total"] == 3         # the engine now serves the new generation
    assert first + [r["id"] for r in rows] == [f"d{n}" for n in range(6)] and total == 6
