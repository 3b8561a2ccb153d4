"""The heavy lane: pages of queries whose prefixes hit the cost bound (search/budget.py) are
computed one at a time, with a pause after each, so that clients hammering such queries share
``HEAVY_SHARE`` of a thread's worth of CPU and everything else goes on meanwhile."""
from __future__ import annotations

import threading
import time

HEAVY_SHARE = 0.5        # pages of such cut queries: at most this share of the time


class HeavyLane:
    def __init__(self):
        self._lock = threading.Lock()
        self._free_at = 0.0

    def run(self, compute):
        """``compute()``, after the pause the last heavy page left."""
        with self._lock:
            time.sleep(max(0.0, self._free_at - time.perf_counter()))
            t0 = time.perf_counter()
            result = compute()
            took = time.perf_counter() - t0
            self._free_at = t0 + took + min(1.0, took * (1 / HEAVY_SHARE - 1))
        return result
