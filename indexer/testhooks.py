"""Test hooks of the writing commands — the one seam production code calls: ``point(name)``.

Production code marks named moments of a write with ``testhooks.point(name)`` and
nothing else; with none of the variables below set, ``point`` does nothing.  The points
(in the order a write passes them):

``lock``           before the write lock is taken (``IndexStore.write_lock``)
``ingest``         while documents are added: ``point("ingest", count=n)`` after the n-th
                   document; it fires only at ``n == KGSEARCH_TEST_PAUSE_AT_DOC`` (default 50)
``commit``         the segment files are written, the TOC is not yet (the writers of
                   ``indexer.transaction`` call it from their ``_commit_toc``)
``before-switch``  the new generation is complete and flushed, ``CURRENT`` not yet replaced
``after-switch``   ``CURRENT`` replaced, retired generations not yet pruned

Variables (read when a point is reached; lists are comma-separated):

``KGSEARCH_TEST_PAUSE=point,...``      print ``KGSEARCH_PAUSE <point> pid <pid>`` on stderr and
                                       sleep ``KGSEARCH_TEST_PAUSE_SECONDS`` (default 60) there,
                                       so a test can ``kill -9`` the writer at a known moment
                                       (tests/test_crash.py, tests/test_admin.py)
``KGSEARCH_TEST_FAIL=point:ERRNO,...``  raise ``OSError(ERRNO)`` there (e.g. ``commit:ENOSPC``),
                                       as a full or read-only disk would
                                       (tests/test_hostile_admin.py)
``KGSEARCH_TEST_PAUSE_AT_DOC=n``       which document the ``ingest`` point counts to
"""
from __future__ import annotations

import errno
import os
import sys
import time

PAUSE_AT_DOC = int(os.environ.get("KGSEARCH_TEST_PAUSE_AT_DOC", "50"))


def point(name: str, count: int | None = None) -> None:
    """Reached the named point of a write (``count``: the document number, for ``ingest``)."""
    if count is not None and count != PAUSE_AT_DOC:
        return
    failing = os.environ.get("KGSEARCH_TEST_FAIL")
    if failing:
        for item in failing.split(","):
            where, _, code = item.partition(":")
            if where == name:
                num = getattr(errno, code or "EIO")
                raise OSError(num, os.strerror(num))
    wanted = os.environ.get("KGSEARCH_TEST_PAUSE")
    if not wanted or name not in wanted.split(","):
        return
    sys.stderr.write(f"KGSEARCH_PAUSE {name} pid {os.getpid()}\n")
    sys.stderr.flush()
    time.sleep(float(os.environ.get("KGSEARCH_TEST_PAUSE_SECONDS", "60")))
