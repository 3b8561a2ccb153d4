"""A regular install (``pip install .``, not ``-e``): the wheel carries the data tables, the installed
``kgsearch`` runs from another working directory and puts its default index there (``./var/index``).

No network: the wheel is built with ``--no-build-isolation`` by this venv's setuptools/wheel, and
the fresh venv sees this venv's dependencies through a path entry (not its ``.pth`` files, so the
editable install of the checkout is not active there).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, write_jsonl

pytestmark = pytest.mark.slow

DOC = {"id": "pkg-1", "title": "Бишкекте паракорчулук", "url": "https://example.org/1",
       "date": "2024-03-05", "body": "Бишкек шаарында паракорчулук боюнча кылмыш иши козголду."}


def _run(cmd, cwd, env, timeout=300):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("packaging")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "KGSEARCH_DATA", "KGSEARCH_INDEX", "VIRTUAL_ENV")}
    # 1. the wheel, built from a copy of the checkout (the build leaves build/ and *.egg-info)
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "var", "__pycache__", "*.egg-info", "build", ".pytest_cache", "artifacts"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", tmp / "dist", src], cwd=tmp, env=env)
    wheel = next((tmp / "dist").glob("kgsearch-*.whl"))
    # 2. a fresh venv that installs it (dependencies come from this venv's site-packages)
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=env)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp, env=env).stdout.strip())
    (site / "deps_from_test_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
          wheel], cwd=tmp, env=env)
    shutil.rmtree(src)
    work = tmp / "work"   # a working directory with no checkout anywhere near it
    work.mkdir()
    return {"wheel": wheel, "venv": venv, "python": python, "site": site, "work": work, "env": env,
            "kgsearch": venv / "bin" / "kgsearch"}


def test_wheel_carries_every_data_table(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for folder in ("lang", "places", "display", "sample"):
        for path in (ROOT / "data" / folder).iterdir():
            if path.is_file() and not path.name.startswith("."):
                assert f"kgsearch_data/{folder}/{path.name}" in names
    assert "web/templates/base.html" in names or any(n.startswith("web/templates/") for n in names)


def test_installed_code_reads_the_installed_data(installed):
    r = _run([installed["python"], "-c",
              "import json, indexer.lang as l, kgsearch.cli as c;"
              "print(json.dumps([l.__file__, str(l.DATA_DIR), str(c.DEFAULT_SOURCE),"
              " l.data_fingerprint()['combined']]))"], cwd=installed["work"], env=installed["env"])
    module, data_dir, default_source, fingerprint = json.loads(r.stdout)
    site = installed["site"].resolve()
    assert Path(module).resolve().is_relative_to(site)
    assert Path(data_dir).resolve() == site / "kgsearch_data"
    assert Path(default_source).resolve() == site / "kgsearch_data"
    # the same tables as the checkout: an index built from the checkout is not "reindex needed"
    from indexer.lang import data_fingerprint
    assert fingerprint == data_fingerprint()["combined"]


def test_installed_kgsearch_help_reindex_search_and_default_index(installed):
    kg, work, env = installed["kgsearch"], installed["work"], installed["env"]
    r = _run([kg, "--help"], cwd=work, env=env)
    assert "reindex" in r.stdout and "serve" in r.stdout
    assert "./var/index" in _run([kg, "search", "--help"], cwd=work, env=env).stdout
    docs = write_jsonl(work / "docs.jsonl", [DOC])
    # explicit --index
    r = _run([kg, "reindex", docs, "--index", work / "X", "-q"], cwd=work, env=env)
    assert (work / "X" / "CURRENT").is_file()
    hits = json.loads(_run([kg, "search", "паракорчулук", "--index", work / "X", "--json"],
                           cwd=work, env=env).stdout)
    assert [h["id"] for h in hits["hits"]] == ["pkg-1"]
    # the default index is ./var/index under the working directory, not inside site-packages
    _run([kg, "reindex", docs, "-q"], cwd=work, env=env)
    assert (work / "var" / "index" / "CURRENT").is_file()
    assert not list(installed["venv"].rglob("CURRENT"))
    hits = json.loads(_run([kg, "search", "Бишкек", "--json"], cwd=work, env=env).stdout)
    assert [h["id"] for h in hits["hits"]] == ["pkg-1"]
    stats = json.loads(_run([kg, "stats", "--json"], cwd=work, env=env).stdout)
    assert stats["reindex_needed"] is False, stats
    # KGSEARCH_INDEX still wins over the default
    _run([kg, "reindex", docs, "-q"], cwd=work, env={**env, "KGSEARCH_INDEX": str(work / "Y")})
    assert (work / "Y" / "CURRENT").is_file()
