"""Render: the Flask UI and JSON API over ``search.engine`` (no Whoosh here)."""
from __future__ import annotations

from flask import Flask

from web.errors import register_errors


def create_app(config: dict | None = None) -> Flask:
    """Application factory.  ``ENGINE`` (a ``SearchEngine``) or ``INDEX_DIR`` picks the index."""
    app = Flask(__name__)
    app.config.update(JSON_AS_ASCII=False, INDEX_DIR=None, ENGINE=None)
    if config:
        app.config.update(config)
    if app.config["ENGINE"] is None:
        from search.engine import SearchEngine
        app.config["ENGINE"] = SearchEngine(app.config["INDEX_DIR"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False      # facets keep their order (most frequent first, years newest first)

    from web import api, views
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    register_errors(app)
    return app
