"""The one write transaction (indexer/transaction.py): whatever leaves it before ``publish``
removes the new generation and leaves ``CURRENT`` and the lock as they were."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.build import rebuild
from indexer.lang import index_dependencies
from indexer.store import IndexLocked, IndexStore
from indexer.transaction import VerificationFailed, WriteTransaction

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture()
def store(tmp_path) -> IndexStore:
    store = IndexStore(tmp_path / "ix", prune_grace=0)
    assert rebuild(store, [str(SAMPLE)]).published
    return store


def _state(store: IndexStore):
    return store.current(), store.previous(), store.list_generations()


def _lock_is_free(store: IndexStore) -> bool:
    try:
        with store.write_lock(timeout=0):
            return True
    except IndexLocked:
        return False


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError(28, "No space left on device"), ValueError("x")])
def test_an_exception_removes_the_new_generation(store, exc):
    before = _state(store)
    with pytest.raises(type(exc) if isinstance(exc, BaseException) else exc):
        with WriteTransaction(store, "add") as txn:
            txn.link()
            txn.writer().delete_by_term("id", "anything")
            assert txn.name in store.list_generations() and txn.name != store.current()
            raise exc
    assert _state(store) == before and _lock_is_free(store)


def test_leaving_without_publish_is_a_refusal(store):
    before = _state(store)
    with WriteTransaction(store, "reindex") as txn:
        txn.create()
        txn.writer().add_document(id="x", title="t", body="b")
    assert _state(store) == before and _lock_is_free(store)


def test_a_failed_verification_leaves_the_served_index(store):
    before = _state(store)
    served = store.manifest()["documents"]
    with WriteTransaction(store, "add") as txn:
        txn.link()
        txn.writer()
        with pytest.raises(VerificationFailed) as info:
            txn.commit(served + 1)
        assert (info.value.count, info.value.expected) == (served, served + 1)
    assert _state(store) == before


def test_publish_switches_and_writes_the_manifest(store):
    old = store.current()
    old_manifest = store.manifest()
    with WriteTransaction(store, "delete") as txn:
        txn.link()
        assert txn.served == old
        txn.writer()
        count, segments = txn.commit(old_manifest["documents"])
        compact = txn.publish({"parent": txn.served, "documents": count}, log={"deleted": 0})
    assert store.current() == txn.name != old and store.previous() == old
    manifest = json.loads((store.path(txn.name) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generation"] == txn.name and manifest["kind"] == "delete"
    assert manifest["parent"] == old and manifest["sources"] == old_manifest["sources"]
    assert manifest["updates"][-1]["kind"] == "delete" and manifest["updates"][-1]["deleted"] == 0
    assert "compact_postings" in compact and _lock_is_free(store)


def test_a_new_index_records_its_dependencies(tmp_path):
    store = IndexStore(tmp_path / "ix")
    with WriteTransaction(store, "reindex") as txn:
        assert txn.served is None and txn.served_manifest() == {}
        txn.create()
        txn.writer().add_document(id="x", title="t", body="b")
        txn.commit(1)
        txn.publish({"documents": 1})
    manifest = store.manifest()
    assert manifest["updates"] == [] and manifest["analyzer_version"]
    for key, value in index_dependencies().items():
        assert manifest[key] == value


def test_the_lock_is_held_for_the_whole_transaction(store):
    with WriteTransaction(store, "optimize"):
        assert not _lock_is_free(store)
        with pytest.raises(IndexLocked):
            with WriteTransaction(store, "add", lock_timeout=0):
                pass
    assert _lock_is_free(store)
