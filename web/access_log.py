"""One log line per request (method, path, status, duration) and the log format (text or JSON).

Searches can be sensitive: at INFO the line has the path only, never the query string, unless the
admin asked for it (``kgsearch serve --log-queries``, config ``LOG_QUERIES``).
"""
from __future__ import annotations

import json
import logging
import sys
import time

from flask import current_app, g, request

from web.metrics import route_label

log = logging.getLogger("kgsearch.access")
_HANDLER_NAME = "kgsearch-serve"


class JsonFormatter(logging.Formatter):
    """A JSON object per line: time, level, logger, message, and any ``extra`` request fields."""
    FIELDS = ("method", "path", "query", "status", "duration_ms", "route", "remote")

    def format(self, record):
        out = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
               "logger": record.name, "message": record.getMessage()}
        for name in self.FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Our handler on stderr for the ``kgsearch`` and ``waitress`` loggers (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.name = _HANDLER_NAME
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("kgsearch", "waitress"):
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if h.name != _HANDLER_NAME] + [handler]
        logger.setLevel(level)
        logger.propagate = False


def before() -> None:
    g.kgsearch_t0 = time.perf_counter()


def after(response):
    seconds = time.perf_counter() - g.get("kgsearch_t0", time.perf_counter())
    route = route_label()
    metrics = current_app.extensions.get("kgsearch_metrics")
    if metrics is not None and route != "/metrics":
        metrics.observe(route, request.method, response.status_code, seconds)
    if current_app.config.get("ACCESS_LOG"):
        path = request.path
        fields = {"method": request.method, "path": path, "status": response.status_code,
                  "duration_ms": round(seconds * 1000, 1), "route": route, "remote": request.remote_addr}
        if current_app.config.get("LOG_QUERIES") and request.query_string:
            fields["query"] = request.query_string.decode("utf-8", "replace")
            path = f"{path}?{fields['query']}"
        log.info("%s %s %s %.1fms", request.method, path, response.status_code, seconds * 1000, extra=fields)
    return response


def init_app(app) -> None:
    if app.config.get("LOG_FORMAT"):
        configure(app.config["LOG_FORMAT"])
    app.before_request(before)
    app.after_request(after)
