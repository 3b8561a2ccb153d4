"""The recorded history of a generation: how ``reindex`` without SOURCE reproduces what is served.

Each generation's manifest records, besides the flat ``sources`` list, a ``history``: the
steps that made it, in order::

    [{"kind": "reindex", "sources": ["/data/day1.jsonl"]},
     {"kind": "add", "sources": ["/data/day2.jsonl"]},
     {"kind": "delete", "ids": ["a1"]}]

A source step reads its sources like the command did (within the step the first document
of an id wins, a later one is reported as a duplicate); a later step's version of an id
replaces an earlier one (``add`` is an upsert), and a ``delete`` step removes the ids it
lists from everything before it (a later ``add`` of the id brings it back, as it did).
``reindex SOURCE...`` starts a new history; ``add`` and ``delete`` append a step;
``optimize`` keeps it; ``rollback`` serves a generation with its own.

When a source is added again, its earlier occurrences are dropped from the history (its
documents are all decided by the later step, whatever came between), so re-adding a daily
file does not make the history, or a rebuild, grow.  An index built before the history was
recorded is rebuilt from its ``sources`` as one ``reindex`` step (the old behaviour).
"""
from __future__ import annotations

SOURCE_KINDS = ("reindex", "add")
DELETE = "delete"


def history_problem(value) -> str | None:
    """Why a manifest's ``history`` is not a valid one, or None (absent is valid)."""
    if value is None:
        return None
    if not isinstance(value, list):
        return '"history" is not a list'
    for n, step in enumerate(value, 1):
        if not isinstance(step, dict):
            return f'"history" step {n} is not an object'
        kind = step.get("kind")
        key = "ids" if kind == DELETE else "sources" if kind in SOURCE_KINDS else None
        if key is None:
            return f'"history" step {n} has an unknown kind {str(kind)[:40]!r}'
        items = step.get(key)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return f'"history" step {n}: "{key}" is not a list of text'
    return None


def recorded(manifest: dict) -> list[dict]:
    """The manifest's history (validated by ``IndexStore.read_manifest``); for a manifest
    without one, its ``sources`` as one ``reindex`` step."""
    steps = manifest.get("history")
    if isinstance(steps, list):
        return [dict(s) for s in steps]
    sources = manifest.get("sources") or []
    return [{"kind": "reindex", "sources": list(sources)}] if sources else []


def started(sources: list[str]) -> list[dict]:
    """The history of a rebuild from ``sources``."""
    return [{"kind": "reindex", "sources": list(sources)}]


def with_sources(steps: list[dict], kind: str, sources: list[str]) -> list[dict]:
    """``steps`` and one more source step; earlier occurrences of these sources are dropped
    (the new step decides all their documents), and steps left empty with them."""
    if not sources:
        return list(steps)
    again = set(sources)
    out = []
    for step in steps:
        if step["kind"] in SOURCE_KINDS:
            kept = [s for s in step["sources"] if s not in again]
            if not kept:
                continue
            step = {**step, "sources": kept}
        out.append(step)
    return out + [{"kind": kind, "sources": list(dict.fromkeys(sources))}]


def with_deletions(steps: list[dict], ids: list[str]) -> list[dict]:
    """``steps`` and the ids a ``delete`` removed (merged into a ``delete`` step right before)."""
    if not ids:
        return list(steps)
    out = list(steps)
    if out and out[-1]["kind"] == DELETE:
        out[-1] = {**out[-1], "ids": list(dict.fromkeys(out[-1]["ids"] + list(ids)))}
    else:
        out.append({"kind": DELETE, "ids": list(dict.fromkeys(ids))})
    return out


def all_sources(steps: list[dict]) -> list[str]:
    """Every source of the history once, in the order of first appearance."""
    return list(dict.fromkeys(s for step in steps if step["kind"] in SOURCE_KINDS for s in step["sources"]))


def describe(steps: list[dict]) -> str:
    """``reindex 1 source · add 2 sources · delete 3 ids`` (for the rebuild message)."""
    parts = []
    for step in steps:
        if step["kind"] == DELETE:
            n = len(step["ids"])
            parts.append(f"delete {n} id{'s' if n != 1 else ''}")
        else:
            n = len(step["sources"])
            parts.append(f"{step['kind']} {n} source{'s' if n != 1 else ''}")
    return " · ".join(parts)


def replay(steps: list[dict], documents):
    """The documents a rebuild from ``steps`` indexes, and what it left out.

    ``documents(sources)`` reads one source step (a fresh set of seen ids per call: duplicates
    within a step are reported by the reader, first wins).  The steps are read from the last
    to the first, so an id taken from a later step (or deleted by one) is skipped in earlier
    ones without deleting anything: one pass, one writer.  Yields documents; the generator's
    return value (``StopIteration.value``) is ``{"replaced": n, "kept_deleted": m}``: how many
    ids had an older version replaced by a later step's, how many deleted ids a source still
    holds (kept out)."""
    decided: set[str] = set()
    deleted: set[str] = set()
    replaced: set[str] = set()
    kept_out: set[str] = set()
    for step in reversed(steps):
        if step["kind"] == DELETE:
            for doc_id in step["ids"]:
                if doc_id not in decided:
                    decided.add(doc_id)
                    deleted.add(doc_id)
            continue
        for doc in documents(step["sources"]):
            if doc.id in decided:
                (kept_out if doc.id in deleted else replaced).add(doc.id)
                continue
            decided.add(doc.id)
            yield doc
    return {"replaced": len(replaced), "kept_deleted": len(kept_out)}
