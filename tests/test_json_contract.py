"""One JSON contract: ``kgsearch search --json`` (a real process) prints what ``GET /api/search`` of
a real ``kgsearch serve`` answers — the same keys, hit keys, filter echo and values (``took_ms``
aside, a timing) — for several queries and filters; and the terminal output renders the hits'
spans."""
import json
import urllib.parse
from html import escape

import pytest

from indexer.fields import value_facets
from search.response import HIT_KEYS
from tests.helpers import SAMPLE, Server, build_index, run_cli, write_jsonl

DOCS = [
    {"id": "c1", "title": "Тоң районунда коррупция", "date": "2024-03-05",
     "body": "Тоң районунда коррупцияга каршы иш козголду. Прокуратура <b>текшерүү</b> жүргүзөт.",
     "topics": ["law and crime", "regions"]},
    {"id": "c2", "title": "Ош облусу", "date": "2025-01-20",
     "body": "Ош облусунда паракорчулук боюнча кылмыш иши. Коррупция тууралуу маалымат берилди.",
     "topics": ["law and crime"]},
    {"id": "c3", "title": "Бишкек", "date": "2023-07-01",
     "body": "Бишкек шаарында жаңы мектеп ачылды. Коррупциялык схемалар ашкереленди."},
    {"id": "c4", "title": "Без даты", "body": "Ысык-Көл облусунда коррупция боюнча кеңеш өттү."},
]

# (CLI arguments, the same request as query parameters)
CASES = [
    (["коррупция"], {"q": "коррупция"}),
    (["коррупция", "--limit", "2", "--page", "2"], {"q": "коррупция", "per_page": "2", "page": "2"}),
    (["коррупция", "--from", "2024", "--to", "2025-06", "--sort", "oldest"],
     {"q": "коррупция", "from": "2024", "to": "2025-06", "sort": "oldest"}),
    (["--district", "Тоң району"], {"district": "Тоң району"}),
    (["--oblast", "Ош облусу", "--oblast", "Ысык-Көл облусу"],
     {"oblast": ["Ош облусу", "Ысык-Көл облусу"]}),
    (['"коррупция боюнча"'], {"q": '"коррупция боюнча"'}),
    (["коррупця"], {"q": "коррупця"}),                     # a misspelling: did you mean
    (["мектеп", "жок_сөз"], {"q": "мектеп жок_сөз"}),      # partial matches
    (["коррупция", "--topic", "law and crime", "--topic", "regions"],
     {"q": "коррупция", "topic": ["law and crime", "regions"]}),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("contract")
    store = build_index(tmp / "ix", [write_jsonl(tmp / "docs.jsonl", DOCS), SAMPLE])
    srv = Server(store.root)
    yield store.root, srv
    srv.stop()


def _without_timing(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "took_ms"}


@pytest.mark.slow
@pytest.mark.parametrize("args, params", CASES)
def test_search_json_is_the_api_search_answer(served, args, params):
    index, srv = served
    r = run_cli("search", *args, "--json", "--index", index)
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout)
    status, api = srv.get_json("/api/search?" + urllib.parse.urlencode(params, doseq=True))
    assert status == 200
    assert list(cli) == list(api)                              # the same keys, in the same order
    assert isinstance(cli["took_ms"], (int, float)) and isinstance(api["took_ms"], (int, float))
    assert _without_timing(cli) == _without_timing(api)
    for hit in cli["hits"]:
        assert tuple(hit) == HIT_KEYS
    assert set(cli["filters"]) == {"from", "to", *(f.name for f in value_facets())}


@pytest.mark.slow
def test_the_cases_cover_hits_filters_corrections_and_partial_matches(served):
    index, _ = served
    seen = [json.loads(run_cli("search", *args, "--json", "--index", index).stdout) for args, _ in CASES]
    assert all(s["hits"] for s in seen[:6])
    assert seen[2]["filters"] == {"from": "2024-01-01", "to": "2025-06-30", "district": [], "oblast": [],
                                  "topic": []}
    assert seen[4]["filters"]["oblast"] == ["Ош облусу", "Ысык-Көл облусу"]
    assert seen[6]["did_you_mean"] or seen[6]["corrected_from"]
    assert seen[7]["partial_total"] or not seen[7]["all_words_found"]
    assert seen[8]["filters"]["topic"] == ["law and crime", "regions"]
    assert {h["id"] for h in seen[8]["hits"]} == {"c1", "c2"}
    assert sorted(next(h for h in seen[8]["hits"] if h["id"] == "c1")["topics"]) == ["law and crime", "regions"]
    marked = [h for s in seen for h in s["hits"] if h["snippet_marks"]]
    assert marked
    for hit in marked:
        for start, end in hit["snippet_marks"]:
            assert f"<mark>{escape(hit['snippet_text'][start:end])}</mark>" in hit["snippet"]


@pytest.mark.slow
def test_terminal_output_renders_the_spans_not_the_html(served):
    index, _ = served
    r = run_cli("search", "коррупция", "--index", index, "--limit", "4")
    assert r.returncode == 0, r.stderr
    assert "<mark>" not in r.stdout and "&lt;" not in r.stdout
    assert "<b>текшерүү</b>" in r.stdout                     # the text as written, unescaped
    assert "\x1b[" not in r.stdout                           # piped: plain text
    data = json.loads(run_cli("search", "коррупция", "--index", index, "--limit", "4", "--json").stdout)
    for hit in data["hits"]:
        assert f"\n   {hit['snippet_text']}\n" in r.stdout


@pytest.mark.slow
def test_on_a_terminal_the_matches_are_bold_yellow(served):
    import os
    import pty
    import subprocess

    from tests.helpers import KGSEARCH, ROOT
    index, _ = served
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*KGSEARCH, "search", "паракорчулук", "--index", str(index)], cwd=ROOT,
                            stdout=follower, stderr=subprocess.PIPE, env={**os.environ, "TERM": "xterm"})
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:                    # the other end closed
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(60) == 0, proc.stderr.read()
    text = out.decode("utf-8")
    assert "\x1b[33m\x1b[1mпаракорчулук\x1b[0m" in text, text     # click.style(fg="yellow", bold=True)
