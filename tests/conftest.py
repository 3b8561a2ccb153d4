"""Shared fixtures: indexes built for real from files, the Flask app, a served process.
The helpers they are built from (and that tests import) live in ``tests/helpers.py``."""
from __future__ import annotations

import pytest

from indexer.store import IndexStore
from search.engine import SearchEngine
from tests.helpers import CORPUS, SAMPLE, Server, build_index, require_corpus
from web import create_app


def pytest_configure(config):
    config.addinivalue_line("markers", "corpus(path): needs this file or folder of ../shared "
                                       "(see require_corpus); the 24.kg corpus without an argument")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("corpus"):
        require_corpus(*mark.args)


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> IndexStore:
    return build_index(tmp_path_factory.mktemp("sample-index"), [SAMPLE])


@pytest.fixture(scope="session")
def sample_engine(sample_store) -> SearchEngine:
    return SearchEngine(store=sample_store)


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory) -> IndexStore:
    require_corpus()
    return build_index(tmp_path_factory.mktemp("corpus-index"), [CORPUS])


@pytest.fixture(scope="session")
def corpus_engine(corpus_store) -> SearchEngine:
    return SearchEngine(store=corpus_store)


@pytest.fixture()
def app(sample_engine):
    app = create_app({"ENGINE": sample_engine, "TESTING": True})
    yield app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def server(sample_store):
    srv = Server(sample_store.root)
    yield srv
    srv.stop()
