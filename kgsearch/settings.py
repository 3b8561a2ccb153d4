"""Every tunable of kgsearch in one place: its default, the environment variable that overrides
it, and its help text.

A leaf module (standard library only) that every layer may import: ``indexer/``, ``search/`` and
``web/`` read their defaults from ``current()``, the command line takes its option defaults and
help from it (``kgsearch serve --help`` shows them).  The environment is read once per process
(``Settings.from_env()``, cached by ``current()``); a value that cannot be used falls back to the
default and is kept in ``Settings.problems`` as one line saying why (the command line prints
them as warnings; ``KGSEARCH_MAX_BODY``'s is reported by the ingestion, as a problem of the run).

This is the only module of the shipped packages that reads ``os.environ``
(``tests/test_architecture.py``); the one exception is ``indexer/testhooks.py``, whose
variables are the test suite's switches, not settings.
"""
from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def _setting(default, env: str, help: str, minimum=None, choices: tuple[str, ...] | None = None,
             what: str | None = None, pattern: str | None = None):
    """A field: its default, environment variable, help; ``minimum`` / ``choices`` / ``pattern``
    (a regular expression the whole text matches) bound a value from the environment, ``what``
    says what it must be when it is not."""
    return field(default=default, metadata={"env": env, "help": help, "minimum": minimum,
                                            "choices": choices, "what": what, "pattern": pattern})


@dataclass(frozen=True)
class Settings:
    # -- where things are --------------------------------------------------------------------
    index: Path | None = _setting(
        None, "KGSEARCH_INDEX", "Index folder (default: ./var/index under the current directory).")
    data_dir: Path | None = _setting(
        None, "KGSEARCH_DATA", "Folder with the language tables (lang/) and the gazetteer (places/) "
        "(default: data/ of the checkout, or the installed package data).")
    # -- ingestion and the write side ----------------------------------------------------------
    max_body: int = _setting(
        1_000_000, "KGSEARCH_MAX_BODY", "Longest body kept whole, in characters; a longer one is "
        "indexed truncated at a sentence end, with a warning.", minimum=1,
        what="a positive number of characters")
    prune_grace: float = _setting(
        60.0, "KGSEARCH_PRUNE_GRACE", "Seconds a retired generation is kept for readers still on it "
        "before a writer removes it.", minimum=0)
    lock_timeout: float = _setting(
        30.0, "KGSEARCH_LOCK_TIMEOUT", "Seconds to wait for another writer before giving up (exit 4).",
        minimum=0)
    # -- serve ------------------------------------------------------------------------------
    host: str = _setting("127.0.0.1", "KGSEARCH_HOST", "Address to bind (loopback by default).")
    public_url: str = _setting(
        "", "KGSEARCH_PUBLIC_URL", "The address people reach the server at (https://news.example.kg or "
        "with a path): the absolute links of the Atom feeds and the OpenAPI document use it instead "
        "of the request's Host header (set it behind a proxy or on a public address).",
        what="an http:// or https:// address without a query", pattern=r"https?://[^\s/?#]+(/[^\s?#]*)?")
    port: int = _setting(8000, "KGSEARCH_PORT", "Port to listen on (0: any free port).", minimum=0)
    threads: int = _setting(
        8, "KGSEARCH_THREADS", "Request threads per process (a thread is taken only by a fully "
        "received request).", minimum=1)
    workers: int = _setting(
        1, "KGSEARCH_WORKERS", "Serving processes sharing the listening socket, each with its own "
        "searcher and caches.", minimum=1)
    connection_limit: int = _setting(
        1000, "KGSEARCH_CONNECTION_LIMIT", "Open connections per process; beyond it new ones wait in "
        "the listen backlog.", minimum=1)
    channel_timeout: int = _setting(
        30, "KGSEARCH_CHANNEL_TIMEOUT", "Seconds an idle or half-sent connection is kept open.", minimum=1)
    max_header_bytes: int = _setting(
        32 * 1024, "KGSEARCH_MAX_HEADER_BYTES", "Largest request line + headers (larger: 431).", minimum=1024)
    max_body_bytes: int = _setting(
        64 * 1024, "KGSEARCH_MAX_BODY_BYTES", "Largest request body; the UI and API only take GET "
        "(larger: 413).", minimum=0)
    access_log: bool = _setting(
        False, "KGSEARCH_ACCESS_LOG", "A log line per request on stderr: method, path, status, duration "
        "(no query text).")
    log_format: str = _setting(
        "text", "KGSEARCH_LOG_FORMAT", "Log lines as text or as one JSON object per line.",
        choices=("text", "json"))
    log_queries: bool = _setting(
        False, "KGSEARCH_LOG_QUERIES", "Also log each request's query string (searches can be sensitive).")
    metrics_dir: Path | None = _setting(
        None, "PROMETHEUS_MULTIPROC_DIR", "prometheus-client's multiprocess folder: set, /metrics sums "
        "the counters every process writes there (`serve --workers N` sets it to a fresh folder).")
    # -- the engine's budgets and caches (search/engine.py) ------------------------------------
    prefix_terms: int = _setting(
        128, "KGSEARCH_PREFIX_TERMS", "Index terms one prefix (ка*) stands for at most: the ones most "
        "documents have.", minimum=1)
    query_terms: int = _setting(
        1024, "KGSEARCH_QUERY_TERMS", "Index terms all the prefixes of one query stand for at most.",
        minimum=1)
    query_postings: int = _setting(
        2_000_000, "KGSEARCH_QUERY_POSTINGS", "Postings all the prefixes of one query read at most.",
        minimum=1)
    heavy_share: float = _setting(
        0.3, "KGSEARCH_HEAVY_SHARE", "Pages of queries cut by those bounds (cached or not) are served one "
        "at a time per process, taking at most this share of the time.", minimum=0.01)
    heavy_rate: float = _setting(
        20.0, "KGSEARCH_HEAVY_RATE", "At most this many such pages a second per process.", minimum=0.01)
    heavy_waiting: int = _setting(
        4, "KGSEARCH_HEAVY_WAITING", "With this many such requests already waiting, another one is "
        "refused (429, Retry-After).", minimum=0)
    cache_size: int = _setting(512, "KGSEARCH_CACHE_SIZE", "Result pages cached per generation.", minimum=0)
    query_cache: int = _setting(
        16, "KGSEARCH_QUERY_CACHE", "Evaluated queries (doc sets, scores, facets) cached per generation.",
        minimum=0)
    filter_cache_size: int = _setting(
        64, "KGSEARCH_FILTER_CACHE_SIZE", "Filter doc sets cached per generation.", minimum=0)
    term_cache_postings: int = _setting(
        4_000_000, "KGSEARCH_TERM_CACHE_POSTINGS", "Postings of decoded terms cached per generation "
        "(about 16 bytes each).", minimum=0)
    docset_cache_docs: int = _setting(
        2_000_000, "KGSEARCH_DOCSET_CACHE_DOCS", "Document numbers of phrase and prefix doc sets cached "
        "per generation.", minimum=0)
    # -- values from the environment that could not be used: field name → why ------------------
    problems: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False,
                                        metadata={"env": None})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """The defaults, overridden by the environment (``os.environ`` unless given); an empty
        variable is unset, an unusable value is the default plus a line in ``problems``."""
        environ = os.environ if environ is None else environ
        values, problems = {}, {}
        for f in _fields():
            raw = environ.get(f.metadata["env"], "")
            if not raw.strip():
                continue
            try:
                values[f.name] = _parse(f, raw)
            except ValueError as exc:
                problems[f.name] = (f"{f.metadata['env']}={raw!r} is not {exc}; using {_shown(f.default)}")
        return cls(**values, problems=problems)

    @staticmethod
    def env(name: str) -> str:
        """The environment variable of a setting."""
        return _field(name).metadata["env"]

    @staticmethod
    def help(name: str) -> str:
        """The help text of a setting, naming its environment variable."""
        f = _field(name)
        return f"{f.metadata['help']} [env var: {f.metadata['env']}]"

    @staticmethod
    def choices(name: str) -> tuple[str, ...] | None:
        return _field(name).metadata["choices"]

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    def describe(self) -> list[dict]:
        """Every setting: name, environment variable, default, current value, help."""
        return [{"name": f.name, "env": f.metadata["env"], "default": _shown(f.default),
                 "value": _shown(getattr(self, f.name)), "help": f.metadata["help"]} for f in _fields()]


def _fields():
    return [f for f in dataclasses.fields(Settings) if f.metadata.get("env")]


def _field(name: str):
    for f in _fields():
        if f.name == name:
            return f
    raise KeyError(name)


def _shown(value) -> str:
    return "unset" if value is None else str(value)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _parse(f, raw: str):
    """A setting's value from its environment text; ValueError names what it should be."""
    text = raw.strip()
    kind = type(f.default) if f.default is not None else Path
    if kind is bool:
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError("one of " + ", ".join(_TRUE + _FALSE))
    if kind is Path:
        return Path(text)
    if kind is str:
        if f.metadata["choices"] and text not in f.metadata["choices"]:
            raise ValueError("one of " + ", ".join(f.metadata["choices"]))
        if f.metadata.get("pattern") and not re.fullmatch(f.metadata["pattern"], text):
            raise ValueError(f.metadata["what"])
        return text
    minimum = f.metadata["minimum"]
    what = "a whole number" if kind is int else "a number"
    if minimum is not None:
        what += f" of at least {minimum}" if minimum else " of at least 0"
    what = f.metadata["what"] or what
    try:
        value = kind(text.replace("_", ""))
    except ValueError:
        raise ValueError(what) from None
    if value != value or (minimum is not None and value < minimum):     # NaN, or too small
        raise ValueError(what)
    return value


DEFAULTS = Settings()


@lru_cache(maxsize=1)
def current() -> Settings:
    """This process's settings: the environment, read on first use."""
    return Settings.from_env()
