"""One settings object (kgsearch/settings.py): defaults, the environment, the command line's
option defaults and help, the web app's."""
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from kgsearch.settings import DEFAULTS, Settings
from tests.helpers import ROOT, SAMPLE, build_index, run_cli


def test_defaults_and_the_environment():
    s = Settings.from_env({})
    assert s == DEFAULTS and not s.problems
    assert (s.port, s.threads, s.workers, s.max_body, s.index) == (8000, 8, 1, 1_000_000, None)
    s = Settings.from_env({"KGSEARCH_PORT": "8123", "KGSEARCH_INDEX": "/tmp/ix", "KGSEARCH_ACCESS_LOG": "yes",
                           "KGSEARCH_PRUNE_GRACE": "0", "KGSEARCH_QUERY_POSTINGS": "1_000", "KGSEARCH_DATA": " "})
    assert (s.port, s.index, s.access_log, s.prune_grace, s.query_postings, s.data_dir) == \
           (8123, Path("/tmp/ix"), True, 0.0, 1000, None)
    assert not s.problems


def test_an_unusable_value_is_the_default_and_says_why():
    s = Settings.from_env({"KGSEARCH_THREADS": "many", "KGSEARCH_WORKERS": "0", "KGSEARCH_LOG_FORMAT": "xml",
                           "KGSEARCH_HEAVY_SHARE": "nan", "KGSEARCH_MAX_BODY": "lots"})
    assert (s.threads, s.workers, s.log_format, s.heavy_share, s.max_body) == (8, 1, "text", 0.3, 1_000_000)
    assert s.problems == {
        "threads": "KGSEARCH_THREADS='many' is not a whole number of at least 1; using 8",
        "workers": "KGSEARCH_WORKERS='0' is not a whole number of at least 1; using 1",
        "log_format": "KGSEARCH_LOG_FORMAT='xml' is not one of text, json; using text",
        "heavy_share": "KGSEARCH_HEAVY_SHARE='nan' is not a number of at least 0.01; using 0.3",
        "max_body": "KGSEARCH_MAX_BODY='lots' is not a positive number of characters; using 1000000",
    }


ENGINE_CONSTANTS = ("PREFIX_TERMS", "QUERY_TERMS", "QUERY_POSTINGS", "HEAVY_SHARE", "HEAVY_RATE", "HEAVY_WAITING",
                    "CACHE_SIZE", "QUERY_CACHE", "FILTER_CACHE_SIZE", "TERM_CACHE_POSTINGS", "DOCSET_CACHE_DOCS")


ENGINE_MODULES = {"PREFIX_TERMS": "search.budget", "QUERY_TERMS": "search.budget",
                  "QUERY_POSTINGS": "search.budget", "HEAVY_SHARE": "search.heavy", "HEAVY_RATE": "search.heavy",
                  "HEAVY_WAITING": "search.heavy", "CACHE_SIZE": "search.generation",
                  "QUERY_CACHE": "search.generation", "FILTER_CACHE_SIZE": "search.generation",
                  "DOCSET_CACHE_DOCS": "search.generation", "TERM_CACHE_POSTINGS": "search.backend.whoosh_terms"}


def test_the_engine_reads_its_budgets_from_the_settings(tmp_path):
    """Each budget constant of search/ is its setting: the default without the environment, the
    variable's value with it (a fresh process: the environment is read once) — and it acts."""
    assert set(ENGINE_MODULES) == set(ENGINE_CONSTANTS)
    script = ("import importlib, json, sys; from search.engine import SearchEngine; "
              f"names = {ENGINE_MODULES!r}; "
              "out = {n: getattr(importlib.import_module(m), n) for n, m in names.items()}; "
              "r = SearchEngine(sys.argv[1]).search('ко* ка*'); "
              "out['used'] = [n['used'] for n in r['notes'] if n['kind'] == 'prefix_too_broad']; "
              "print(json.dumps(out))")
    index = build_index(tmp_path / "ix", [SAMPLE]).root
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGSEARCH_")}
    default = json.loads(subprocess.run([sys.executable, "-c", script, str(index)], env=env, cwd=ROOT,
                                        capture_output=True, text=True, check=True).stdout)
    for name in ENGINE_CONSTANTS:
        assert default[name] == getattr(DEFAULTS, name.lower()), name
    env.update({"KGSEARCH_PREFIX_TERMS": "2", "KGSEARCH_HEAVY_WAITING": "9", "KGSEARCH_CACHE_SIZE": "7",
                "KGSEARCH_TERM_CACHE_POSTINGS": "1234"})
    got = json.loads(subprocess.run([sys.executable, "-c", script, str(index)], env=env, cwd=ROOT,
                                    capture_output=True, text=True, check=True).stdout)
    assert (got["PREFIX_TERMS"], got["HEAVY_WAITING"], got["CACHE_SIZE"], got["TERM_CACHE_POSTINGS"]) == \
        (2, 9, 7, 1234)
    assert got["used"] and all(u <= 2 for u in got["used"])          # the bound acts: ≤ 2 terms a prefix


def test_every_setting_has_its_own_variable_and_help_and_the_readme_lists_it():
    fields = [f for f in dataclasses.fields(Settings) if f.metadata.get("env")]
    envs = [f.metadata["env"] for f in fields]
    assert len(envs) == len(set(envs)) and len(fields) >= 25
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for f in fields:
        assert f.metadata["help"].strip() and Settings.help(f.name).endswith(f"[env var: {f.metadata['env']}]")
        assert f"`{f.metadata['env']}`" in readme, f.metadata["env"]
    assert {d["name"] for d in DEFAULTS.describe()} == {f.name for f in fields}


def test_serve_help_shows_the_defaults_the_environment_makes():
    r = run_cli("serve", "--help")
    assert r.returncode == 0
    assert "[default: 8000" in r.stdout and "KGSEARCH_PORT" in r.stdout and "KGSEARCH_CONNECTION_LIMIT" in r.stdout
    r = run_cli("serve", "--help", env={"KGSEARCH_PORT": "8123", "KGSEARCH_THREADS": "3"})
    assert "[default: 8123" in r.stdout and "[default: 3" in r.stdout
    r = run_cli("add", "--help", env={"KGSEARCH_LOCK_TIMEOUT": "5"})
    assert "[default: 5.0" in r.stdout and "KGSEARCH_LOCK_TIMEOUT" in r.stdout


def test_a_bad_variable_is_one_warning_line_and_the_command_goes_on(tmp_path):
    r = run_cli("search", "x", "--index", tmp_path / "none", env={"KGSEARCH_THREADS": "many"})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "kgsearch: warning: KGSEARCH_THREADS='many' is not a whole number of at least 1; using 8" in r.stderr


def test_the_web_app_takes_its_defaults_from_the_settings(sample_engine):
    from web import create_app
    app = create_app({"ENGINE": sample_engine}, settings=Settings(access_log=True, log_queries=True))
    assert app.config["ACCESS_LOG"] and app.config["LOG_QUERIES"]
    assert app.config["SETTINGS"].access_log
    app = create_app({"ENGINE": sample_engine, "ACCESS_LOG": False}, settings=Settings(access_log=True))
    assert not app.config["ACCESS_LOG"]                    # the config given wins
