"""Render: the Flask UI and JSON API over ``search.engine`` (no Whoosh here)."""
from __future__ import annotations

from flask import Flask

from web.errors import register_errors
from web.safety import SecurityHeaders, safe_url, shorten


def create_app(config: dict | None = None) -> Flask:
    """Application factory.  ``ENGINE`` (a ``SearchEngine``) or ``INDEX_DIR`` picks the index.

    ``STATS_SHOW_PATHS`` (default False): ``/api/stats`` also shows the index folder and the source
    paths — for a server only its admin reaches; visitors never see server paths otherwise.
    ``ACCESS_LOG`` (False): a log line per request (``kgsearch.access``); ``LOG_QUERIES`` (False):
    with the query string; ``LOG_FORMAT`` (None = leave logging alone, or ``text`` / ``json``).
    """
    app = Flask(__name__)
    app.config.update(JSON_AS_ASCII=False, INDEX_DIR=None, ENGINE=None, STATS_SHOW_PATHS=False,
                      ACCESS_LOG=False, LOG_QUERIES=False, LOG_FORMAT=None)
    if config:
        app.config.update(config)
    if app.config["ENGINE"] is None:
        from search.engine import SearchEngine
        app.config["ENGINE"] = SearchEngine(app.config["INDEX_DIR"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False      # facets keep their order (most frequent first, years newest first)
    # a document id may hold "//" (or start with "/"): its link must not be redirected to another id
    app.url_map.merge_slashes = False
    from web.views import DocIdConverter
    app.url_map.converters["docid"] = DocIdConverter
    app.jinja_env.filters["safe_url"] = safe_url
    app.jinja_env.filters["shorten"] = shorten

    from web import access_log, api, i18n, metrics, views
    i18n.init_app(app)
    metrics.init_app(app)
    access_log.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    from web import export, feeds, openapi      # issue 15: downloads, feeds, the API described
    app.register_blueprint(export.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(openapi.bp)
    register_errors(app)
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    return app
