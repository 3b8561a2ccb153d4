"""Render: the Flask UI and JSON API over ``search.engine`` (no Whoosh here)."""
from __future__ import annotations

from flask import Flask

from kgsearch.settings import Settings
from kgsearch.settings import current as current_settings
from web.errors import register_errors
from web.safety import SecurityHeaders, safe_url, shorten


def create_app(config: dict | None = None, settings: Settings | None = None) -> Flask:
    """Application factory.  ``ENGINE`` (a ``SearchEngine``) or ``INDEX_DIR`` picks the index
    (default: the ``index`` setting); ``settings`` (default: this process's, ``kgsearch.settings``)
    gives the defaults below and is ``web.context.settings()`` to the views.

    ``STATS_SHOW_PATHS`` (default False): ``/api/stats`` also shows the index folder and the source
    paths — for a server only its admin reaches; visitors never see server paths otherwise.
    ``ACCESS_LOG`` (the ``access_log`` setting): a log line per request (``kgsearch.access``);
    ``LOG_QUERIES`` (``log_queries``): with the query string; ``LOG_FORMAT`` (None = leave logging
    alone, or ``text`` / ``json``).
    """
    settings = settings or current_settings()
    app = Flask(__name__)
    app.config.update(JSON_AS_ASCII=False, INDEX_DIR=settings.index, ENGINE=None, STATS_SHOW_PATHS=False,
                      ACCESS_LOG=settings.access_log, LOG_QUERIES=settings.log_queries, LOG_FORMAT=None,
                      SETTINGS=settings)
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
