"""The heavy lane: pages of queries whose prefixes hit the cost bound (search/budget.py),
cached or not, go through one lane per process: one at a time, computing at most
``HEAVY_SHARE`` of the time and at most ``HEAVY_RATE`` pages a second; when ``HEAVY_WAITING``
requests already wait for the lane, another one is refused (``Busy``, a 429 on the web).  So
clients hammering such queries share a small part of one thread's time, and everything else
goes on meanwhile."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from kgsearch.settings import current as settings

# from the settings (kgsearch/settings.py: defaults, KGSEARCH_HEAVY_* variables)
HEAVY_SHARE = settings().heavy_share
HEAVY_RATE = settings().heavy_rate
HEAVY_WAITING = settings().heavy_waiting


class Busy(Exception):
    """Too many requests for queries cut by the cost bound are waiting already; try again in
    ``retry_after`` seconds."""

    def __init__(self, retry_after: int = 1):
        super().__init__("too many broad-prefix queries are waiting; try again shortly")
        self.retry_after = retry_after


class HeavyLane:
    def __init__(self):
        self.lock = threading.Lock()          # held by the request in the lane
        self.waiting = 0                      # requests waiting for it
        self._count = threading.Lock()
        self._free_at = 0.0

    @contextmanager
    def enter(self):
        """One request at a time: each waits out the pause the last one left (its time ×
        (1/HEAVY_SHARE − 1), at least 1/HEAVY_RATE s in all, at most 1 s); with HEAVY_WAITING
        requests already waiting, ``Busy`` at once."""
        if not self.lock.acquire(blocking=False):       # busy: wait, if few wait already
            with self._count:
                if self.waiting >= HEAVY_WAITING:
                    raise Busy(retry_after=1)
                self.waiting += 1
            try:
                self.lock.acquire()
            finally:
                with self._count:
                    self.waiting -= 1
        try:
            time.sleep(max(0.0, self._free_at - time.perf_counter()))
            t0 = time.perf_counter()
            try:
                yield
            finally:
                took = time.perf_counter() - t0
                pause = max(took * (1 / HEAVY_SHARE - 1), 1 / HEAVY_RATE - took)
                self._free_at = t0 + took + min(1.0, pause)
        finally:
            self.lock.release()
