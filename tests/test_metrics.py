"""An admin's view: /metrics (Prometheus text format) and the access log, in the app and from real
``kgsearch serve`` processes (one, and several workers sharing their counts)."""
from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from search.engine import SearchEngine
from tests.helpers import Server
from web import create_app


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of a Prometheus exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(metrics: dict, name: str, **labels) -> float:
    return metrics.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_latency_errors_and_the_index(sample_store):
    class Buggy(SearchEngine):
        def document(self, *args, **kw):
            raise RuntimeError("bug")
    client = create_app({"ENGINE": Buggy(store=sample_store), "TESTING": True}).test_client()
    for _ in range(3):
        assert client.get("/?q=коррупция").status_code == 200
    assert client.get("/?page=x").status_code == 400
    assert client.get("/no/such").status_code == 404
    assert client.get("/doc/abc").status_code == 500
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    m = samples(r.get_data(as_text=True))
    assert value(m, "kgsearch_http_requests_total", route="/", method="GET", status="200") == 3
    assert value(m, "kgsearch_http_requests_total", route="/", method="GET", status="400") == 1
    assert value(m, "kgsearch_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert value(m, "kgsearch_http_errors_total", route="/doc/<docid:doc_id>", status="500") == 1
    assert value(m, "kgsearch_http_request_duration_seconds_count", route="/") == 4
    assert value(m, "kgsearch_http_request_duration_seconds_bucket", route="/", le="+Inf") == 4
    assert value(m, "kgsearch_index_up") == 1 and value(m, "kgsearch_index_documents") == 2
    gen = [k for k in m if k[0] == "kgsearch_index_generation_info"]
    assert len(gen) == 1 and dict(gen[0][1])["generation"] == SearchEngine(store=sample_store).stats()["generation"]
    assert value(m, "kgsearch_index_built_timestamp_seconds") > 1.7e9
    # the query text is not a label anywhere
    assert "коррупция" not in r.get_data(as_text=True)


def test_metrics_without_an_index_say_so(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    assert client.get("/").status_code == 503
    m = samples(client.get("/metrics").get_data(as_text=True))
    assert value(m, "kgsearch_index_up") == 0
    assert value(m, "kgsearch_http_requests_total", route="/", method="GET", status="503") == 1
    assert value(m, "kgsearch_http_errors_total", route="/", status="503") == 1


def test_access_log_has_no_query_text_unless_asked(sample_engine, caplog):
    caplog.set_level(logging.INFO, logger="kgsearch.access")
    client = create_app({"ENGINE": sample_engine, "ACCESS_LOG": True}).test_client()
    client.get("/?q=коррупция&district=Тоң")
    line = [r for r in caplog.records if r.name == "kgsearch.access"][-1]
    assert line.getMessage().startswith("GET / 200 ") and line.getMessage().endswith("ms")
    assert "коррупция" not in caplog.text and line.status == 200 and line.duration_ms >= 0
    caplog.clear()
    client = create_app({"ENGINE": sample_engine, "ACCESS_LOG": True, "LOG_QUERIES": True}).test_client()
    client.get("/api/search?q=коррупция")
    line = [r for r in caplog.records if r.name == "kgsearch.access"][-1]
    assert "GET /api/search?q=" in line.getMessage() and line.query.startswith("q=")
    caplog.clear()
    create_app({"ENGINE": sample_engine}).test_client().get("/")
    assert not [r for r in caplog.records if r.name == "kgsearch.access"]      # off unless asked


class Served(Server):
    """``kgsearch serve`` with its log in a file (read after it stops); ``get`` gives (status, body),
    errors included."""

    def __init__(self, index_dir, log_path, *options):
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        super().__init__(index_dir, *options, log_path=log_path, env=env)

    def get(self, path):
        status, _, body = self.answer(path)
        return status, body


@pytest.mark.slow
def test_scrape_a_real_server_with_json_access_log(sample_store, tmp_path):
    srv = Served(sample_store.root, tmp_path / "serve.log", "--access-log", "--log-format", "json")
    try:
        for _ in range(5):
            assert srv.get("/api/search?q=%D0%BA%D0%BE%D1%80%D1%80%D1%83%D0%BF%D1%86%D0%B8%D1%8F")[0] == 200
        assert srv.get("/doc/nope")[0] == 404
        status, text = srv.get("/metrics")
        assert status == 200
        m = samples(text)
        assert value(m, "kgsearch_http_requests_total", route="/api/search", method="GET", status="200") == 5
        assert value(m, "kgsearch_http_requests_total", route="/doc/<docid:doc_id>", method="GET", status="404") == 1
        assert value(m, "kgsearch_index_documents") == 2
    finally:
        log = srv.stop()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [x for x in lines if x.get("logger") == "kgsearch.access"]
    assert len([x for x in access if x["path"] == "/api/search" and x["status"] == 200]) == 5
    assert {"method", "path", "status", "duration_ms", "time", "level"} <= set(access[0])
    assert "коррупция" not in log and "%D0%BA" not in log and "query" not in access[0]


@pytest.mark.slow
def test_workers_share_their_metrics(sample_store, tmp_path):
    srv = Served(sample_store.root, tmp_path / "serve.log", "--workers", "2")
    try:
        pids, sent = set(), 1                        # the start-up probe was one /healthz
        with ThreadPoolExecutor(8) as pool:
            for _ in range(10):
                bodies = list(pool.map(lambda _: srv.get("/healthz")[1], range(40)))
                sent += len(bodies)
                pids |= {json.loads(b)["pid"] for b in bodies}
                if len(pids) == 2:
                    break
        assert len(pids) == 2, pids
        # every /healthz counted, whichever worker answered it and whichever answers the scrape
        for _ in range(4):
            m = samples(srv.get("/metrics")[1])
            assert value(m, "kgsearch_http_requests_total", route="/healthz", method="GET", status="200") == sent
            assert value(m, "kgsearch_index_documents") == 2
    finally:
        log = srv.stop()
    assert "Traceback" not in log, log[-2000:]
