"""``/metrics`` for Prometheus (prometheus-client): requests by route, method and status, a latency
histogram by route, 5xx errors, and the served index (generation, documents, build time) read
when scraped.

Several workers (``kgsearch serve --workers N``) share one listening socket, so a scrape reaches any
one of them: ``serve`` then sets ``PROMETHEUS_MULTIPROC_DIR`` to a fresh temporary folder before it
forks, every worker writes its counters there, and whichever answers the scrape sums them all
(prometheus-client's multiprocess mode).  One process: plain in-memory metrics.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

bp = Blueprint("metrics", __name__)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _multiprocess(app) -> bool:
    """The ``metrics_dir`` setting (``PROMETHEUS_MULTIPROC_DIR``) is set: sum every process's files."""
    return app.config["SETTINGS"].metrics_dir is not None


class IndexCollector:
    """The served index as gauges, read from the engine at scrape time (so every worker agrees)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        up = GaugeMetricFamily("kgsearch_index_up", "1 if the served index could be opened")
        try:
            stats = self.app.config["ENGINE"].stats()
        except Exception:                       # noqa: BLE001 — no index or a broken one: up 0
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        docs = GaugeMetricFamily("kgsearch_index_documents", "Documents in the served index generation")
        docs.add_metric([], stats["documents"])
        yield docs
        gen = GaugeMetricFamily("kgsearch_index_generation_info", "The served index generation (label)",
                                labels=["generation", "analyzer_version"])
        gen.add_metric([str(stats["generation"]), str(stats.get("analyzer_version") or "")], 1)
        yield gen
        built = stats.get("built_at")
        if built:
            import datetime as dt
            try:
                ts = dt.datetime.fromisoformat(built).timestamp()
            except ValueError:
                return
            fam = GaugeMetricFamily("kgsearch_index_built_timestamp_seconds", "When the served generation was built")
            fam.add_metric([], ts)
            yield fam


class Metrics:
    def __init__(self, app):
        self.app = app
        # in multiprocess mode the values live in files; the scrape registry is built per scrape
        self.registry = None if _multiprocess(app) else CollectorRegistry()
        kw = {"registry": self.registry}
        self.requests = Counter("kgsearch_http_requests", "HTTP requests answered",
                                ["route", "method", "status"], **kw)
        self.latency = Histogram("kgsearch_http_request_duration_seconds", "Time to answer a request",
                                 ["route"], buckets=BUCKETS, **kw)
        self.errors = Counter("kgsearch_http_errors", "Requests answered with a 5xx status",
                              ["route", "status"], **kw)
        self.index = IndexCollector(app)
        if self.registry is not None:
            self.registry.register(self.index)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if status >= 500:
            self.errors.labels(route, str(status)).inc()

    def exposition(self) -> bytes:
        if self.registry is not None:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(self.index)
        return generate_latest(registry)


def route_label() -> str:
    """The URL rule, not the path: a bounded set of label values (``unmatched`` for 404s)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"



@bp.get("/metrics")
def metrics():
    return Response(current_app.extensions["kgsearch_metrics"].exposition(), mimetype=CONTENT_TYPE_LATEST)


def init_app(app) -> None:
    app.extensions["kgsearch_metrics"] = Metrics(app)
    app.register_blueprint(bp)
