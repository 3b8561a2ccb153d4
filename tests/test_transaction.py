"""The one write transaction (indexer/transaction.py): whatever leaves it before ``publish``
removes the new generation and leaves ``CURRENT`` and the lock as they were."""
from __future__ import annotations

import json
from dataclasses import replace as dataclasses_replace
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


# ---------------------------------------------------------------- the writers' flush

def _segment_files(tmp_path, name, writer_class, docs) -> dict[str, bytes]:
    """The postings, terms and columns files one writer makes of ``docs`` (not compound)."""
    from whoosh import index as whoosh_index
    from indexer.schema import make_schema, to_fields
    path = tmp_path / name
    path.mkdir()
    ix = whoosh_index.create_in(str(path), make_schema())
    writer = writer_class(ix, compound=False)
    for doc in docs:
        writer.add_document(**to_fields(doc))
    writer.commit()
    # MAIN_<random segment name>.pst, .trm, ._body_len.col, ._stored.col, .date.col, …
    return {p.name.split(".", 1)[1]: p.read_bytes() for p in path.iterdir()
            if p.suffix in (".pst", ".trm", ".col")}


def test_the_writers_flush_writes_what_whoosh_writes(tmp_path):
    """Writer (and the sub-writer processes, _SubWriter) read each field's lengths once when
    they write the postings; the files are byte for byte Whoosh's own."""
    from whoosh.writing import SegmentWriter
    from indexer.ingest import Ingestor
    from indexer.transaction import Writer, _SubWriter
    docs = list(Ingestor().documents([str(SAMPLE)]))
    docs += [dataclasses_replace(d, id=f"{d.id}-{k}", body=d.body * (k + 1)) for k in range(40) for d in docs[:3]]
    theirs = _segment_files(tmp_path, "whoosh", SegmentWriter, docs)
    assert {"pst", "trm", "_body_len.col", "_lead_len.col", "_title_len.col"} <= set(theirs)
    assert _segment_files(tmp_path, "ours", Writer, docs) == theirs
    assert _segment_files(tmp_path, "sub", _SubWriter, docs) == theirs


def test_segment_lengths_answer_as_whoosh_reads_them(tmp_path):
    from whoosh import index as whoosh_index
    from indexer.transaction import _SegmentLengths
    store = IndexStore(tmp_path / "ix")
    assert rebuild(store, [str(SAMPLE)]).published
    ix = whoosh_index.open_dir(str(store.path(store.current())))
    with ix.reader() as reader:
        leaves = [leaf for leaf, _offset in reader.leaf_readers()]
        assert leaves
        for leaf in leaves:
            pdr = leaf._perdoc
            ours = _SegmentLengths(pdr)
            n = leaf.doc_count_all()
            for fieldname in ("title", "body", "lead", "id", "nofield"):
                for docnum in range(n + 2):
                    expected = (pdr.doc_field_length(docnum, fieldname) or 0) if docnum < n else 0
                    assert ours.doc_field_length(docnum, fieldname) == expected, (fieldname, docnum)
                if fieldname in ("title", "body"):
                    assert any(ours.doc_field_length(d, fieldname) for d in range(n))
