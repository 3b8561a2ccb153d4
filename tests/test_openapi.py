"""The documented API (issue 15): /openapi.json is a valid OpenAPI 3.1 document generated from the
parameter table the views parse with; /api renders it without script; API errors have one shape."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from web.api_params import PARAMS, wire
from web.openapi import ENDPOINTS


@pytest.fixture()
def doc(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


def test_document_validates(doc):
    validate(doc)                                   # raises on an invalid OpenAPI 3.1 document
    assert doc["openapi"].startswith("3.1")
    assert set(ENDPOINTS) | {"/healthz"} == set(doc["paths"])


def test_every_route_is_documented(app, doc):
    routes = {r.rule.replace("<docid:doc_id>", "{id}") for r in app.url_map.iter_rules()
              if r.rule.startswith(("/api/", "/feed")) or r.rule == "/healthz"}
    assert routes == set(doc["paths"])


def test_parameters_come_from_the_table(doc):
    for path, item in doc["paths"].items():
        for p in item["get"].get("parameters", []):
            if p["in"] != "query":
                continue
            name = next(n for n, spec in PARAMS.items() if wire(n) == p["name"] and spec.description == p["description"])
            assert p["schema"] == PARAMS[name].schema(), (path, p["name"])


def _bad_values(spec):
    if spec.enum:
        yield "not-a-choice"
    if spec.type == "integer":
        yield "x"
        if spec.minimum is not None:
            yield str(spec.minimum - 1)
        if spec.maximum is not None:
            yield str(spec.maximum + 1)
    if spec.max_length:
        yield "a" * (spec.max_length + 1)


def test_parsing_enforces_the_documented_limits(client, doc):
    """Every documented limit is the one the view enforces: just past it is a 400 JSON error of the
    stable shape; the limit itself is accepted."""
    checked = 0
    for path, item in doc["paths"].items():
        if "{" in path:
            continue
        for p in item["get"].get("parameters", []):
            spec = next(s for n, s in PARAMS.items() if wire(n) == p["name"] and s.description == p["description"])
            for value in _bad_values(spec):
                r = client.get(path, query_string={p["name"]: value})
                assert r.status_code == 400, (path, p["name"], value[:20])
                body = r.get_json() if path.startswith("/api/") else None
                if body is not None:
                    assert set(body) == {"error", "status"} and body["status"] == 400
                    assert p["name"] in body["error"]
                checked += 1
            if spec.maximum is not None:
                assert client.get(path, query_string={p["name"]: str(spec.maximum)}).status_code == 200
            if spec.enum:
                for value in spec.enum:
                    assert client.get(path, query_string={p["name"]: value}).status_code == 200, (path, value)
    assert checked > 20


def test_error_shape(client):
    for url, status in [("/api/doc/no-such-id", 404), ("/api/search?page=0", 400), ("/api/nothing", 404),
                        ("/api/export?format=pdf", 400)]:
        r = client.get(url)
        assert r.status_code == status and r.get_json() == {"error": r.get_json()["error"], "status": status}


def test_no_index_is_a_json_503(tmp_path):
    from search.engine import SearchEngine
    from web import create_app
    client = create_app({"ENGINE": SearchEngine(tmp_path / "none"), "TESTING": True}).test_client()
    for url in ["/api/export?q=x", "/api/timeline?q=x", "/feed.atom?q=x", "/api/export?format=jsonl"]:
        r = client.get(url)
        assert r.status_code == 503 and r.get_json()["status"] == 503 and "kgsearch reindex" in r.get_json()["error"]
    assert client.get("/openapi.json").status_code == 200          # the description needs no index


def test_human_page(client, doc):
    r = client.get("/api")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    # no inline script: the only script is the site's own static file, as on every page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    for path in doc["paths"]:
        assert f"GET {path}" in page
    for spec in PARAMS.values():
        assert spec.description.replace('"', "&#34;") in page
