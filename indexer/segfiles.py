"""Files of our own beside a Whoosh segment (the compact postings, indexer/sidecar.py; the marked
postings, indexer/marked.py): their names, and writing a set of arrays with its meta file last."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def file_name(segment_id: str, fieldname: str, kind: str, prefix: str) -> str:
    return f"{prefix}{segment_id}.{fieldname}.{kind}" + (".json" if kind == "meta" else ".npy")


def terms_digest(terms) -> str:
    """sha256 of the term list (one term per line), recorded in the meta file and checked on open."""
    return hashlib.sha256("\n".join(terms).encode("utf-8", "surrogatepass")).hexdigest()


def segment_of(name: str, prefix: str) -> str | None:
    """The segment id a file of ``prefix`` belongs to (None: not such a file)."""
    return name[len(prefix):].split(".", 1)[0] if name.startswith(prefix) else None


def save_arrays(dirpath: Path, prefix: str, segment_id: str, fieldname: str, arrays: dict, meta: dict) -> None:
    """Each array as ``.npy``, synced, then the meta file (written aside, then renamed): its
    presence says the arrays are complete."""
    for kind, arr in arrays.items():
        with open(dirpath / file_name(segment_id, fieldname, kind, prefix), "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
    final = dirpath / file_name(segment_id, fieldname, "meta", prefix)
    tmp = final.with_name(final.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
