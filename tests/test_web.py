"""The Flask app through its test client: every route, the JSON shape, errors as 400s, escaping."""
import json

import pytest

from search.engine import SearchEngine
from tests.helpers import Server, build_index, write_jsonl
from web import create_app


def test_home_is_a_friendly_empty_state(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Эмнени издейсиз?" in html and 'name="q"' in html
    assert "style.css" in html and "http" not in html.split("<body>")[0].replace('lang="ky"', "")


def test_results_page(client):
    html = client.get("/?q=коррупция").get_data(as_text=True)
    assert "Табылды: <strong>2</strong>" in html
    assert "<mark>коррупцияга</mark>" in html
    assert "Тоң районунда" in html and "2025-12-10" in html


def test_no_results_page(client):
    html = client.get("/?q=жоктугуболбогонсөз").get_data(as_text=True)
    assert "Эч нерсе табылган жок" in html


def test_doc_page_highlights_and_shows_views(client):
    html = client.get("/doc/000_a04a57a4dc81b787?q=коррупция").get_data(as_text=True)
    assert "Кароолор: 67" in html
    assert html.count("<mark>") >= 5
    assert "2025-12-10" in html
    assert client.get("/doc/nope").status_code == 404


def test_api_search_shape(client):
    r = client.get("/api/search?q=коррупция&per_page=1")
    assert r.status_code == 200 and r.is_json
    data = r.get_json()
    assert {"query", "total", "page", "per_page", "took_ms", "hits", "facets"} <= set(data)
    assert data["query"] == "коррупция" and data["total"] == 2 and data["per_page"] == 1
    hit = data["hits"][0]
    assert set(hit) >= {"id", "title", "date", "url", "source", "score", "snippet"}
    best = client.get("/api/search?q=коррупция").get_json()["hits"][0]     # page 1 of 1 = page 1 of 2
    assert hit["id"] == best["id"] and hit["date"] == best["date"] in ("2013-09-08", "2025-12-10")
    assert list(data["facets"]["year"]) == ["2025", "2013"]      # newest first, order kept in JSON
    assert "<mark>" in hit["snippet"]
    page2 = client.get("/api/search?q=коррупция&per_page=1&page=2").get_json()
    assert page2["hits"][0]["id"] != hit["id"]


@pytest.mark.parametrize("query, fragment", [
    ("per_page=0", "per_page"), ("per_page=1000", "per_page"), ("page=abc", "page"),
    ("page=-1", "page"), ("sort=random", "sort"), ("from=notadate", "notadate"),
    ("to=2025-13", "2025-13"), ("district=Атлантида", "Атлантида"),
])
def test_api_bad_parameters_are_400_with_a_message(client, query, fragment):
    r = client.get(f"/api/search?q=коррупция&{query}")
    assert r.status_code == 400
    assert fragment in r.get_json()["error"]


def test_html_bad_parameters_are_400_pages(client):
    r = client.get("/?q=x&page=zero")
    assert r.status_code == 400 and "page" in r.get_data(as_text=True)
    r = client.get("/?q=коррупция&from=кечээ")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "кечээ" in html
    assert 'value="коррупция"' in html        # the query is kept in a form to search again


def test_health_and_stats(client):
    assert client.get("/healthz").get_json()["status"] == "ok"
    stats = client.get("/api/stats").get_json()
    assert stats["documents"] == 2 and stats["date_range"] == ["2013-09-08", "2025-12-10"]


def test_xss_is_escaped_everywhere(tmp_path):
    src = write_jsonl(tmp_path / "x.jsonl", [{"id": "x<1>", "title": "<script>alert('t')</script> коррупция",
                                              "body": "<img src=x onerror=alert(1)> коррупция <script>b()</script>"}])
    engine = SearchEngine(store=build_index(tmp_path / "ix", [src]))
    client = create_app({"ENGINE": engine, "TESTING": True}).test_client()
    for url in ["/?q=коррупция", "/doc/x%3C1%3E?q=коррупция", "/?q=<script>alert(2)</script>"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "<img" not in html, url
    api = client.get("/api/search?q=коррупция").get_json()
    assert "<script>" not in api["hits"][0]["snippet"]


def test_missing_index_is_a_clear_503(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    r = client.get("/api/search?q=x")
    assert r.status_code == 503 and "reindex" in r.get_json()["error"]
    assert client.get("/healthz").status_code == 503


def test_served_process_answers_over_http(server):
    status, data = server.get_json("/api/search?q=%D0%BA%D0%BE%D1%80%D1%80%D1%83%D0%BF%D1%86%D0%B8%D1%8F")
    assert status == 200 and data["total"] == 2
    status, html = server.get("/?q=%D0%BA%D0%BE%D1%80%D1%80%D1%83%D0%BF%D1%86%D0%B8%D1%8F")
    assert status == 200 and "<mark>" in html
    status, css = server.get("/static/style.css")
    assert status == 200 and "mark" in css
    import urllib.error
    with pytest.raises(urllib.error.HTTPError) as err:
        server.get("/api/search?q=x&per_page=nope")
    assert err.value.code == 400
    assert "per_page" in json.loads(err.value.read().decode())["error"]
