"""Errors as clear 4xx messages: JSON under /api, a page elsewhere; never a 500 page."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search.engine import NoIndex
from web.params import BadRequest

log = logging.getLogger("kgsearch.web")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, message: str):
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    return render_template("error.html", status=status, message=message), status


def register_errors(app) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(exc):
        return _render(400, str(exc))

    @app.errorhandler(NoIndex)
    def no_index(exc):
        return _render(503, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return _render(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unexpected error on %s", request.url)
        return _render(500, "internal error; it has been logged")
