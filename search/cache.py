"""One cache for every per-generation cache: a thread-safe least-recently-used map bounded by
the total weight of its entries (1 per entry by default, or what ``weigh(value)`` says).

Every cache of the search side is one of these: result pages, evaluated queries, filter masks,
term postings (weighed in postings), phrase doc sets (in docnums), prefix expansions.  Entries
are computed outside the lock; the first one stored under a key wins, so two threads that
computed the same entry get the same object back.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class LRU:
    """At most ``limit`` in total weight; the least recently used entries go first, but the
    last entry always stays (an entry heavier than the limit is kept until the next one)."""

    def __init__(self, limit: int, weigh: Callable[[object], int] | None = None):
        self.limit = limit
        self.weigh = weigh or (lambda value: 1)
        self.size = 0                       # total weight of the entries
        self._entries: OrderedDict = OrderedDict()
        self._weights: dict = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, default=None):
        with self._lock:
            value = self._entries.get(key, default)
            if key in self._entries:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value):
        """Store ``value`` unless ``key`` is there already; the stored value is returned."""
        with self._lock:
            if key in self._entries:
                return self._entries[key]
            weight = self.weigh(value)
            self._entries[key] = value
            self._weights[key] = weight
            self.size += weight
            self._evict()
            return value

    def grow(self, key: Hashable, value, extra: int) -> bool:
        """``value`` (still the entry of ``key``) became ``extra`` heavier; False when it is
        no longer cached (its weight is then nobody's business)."""
        with self._lock:
            if self._entries.get(key) is not value:
                return False
            self._weights[key] += extra
            self.size += extra
            self._evict()
            return True

    def pop(self, key: Hashable, default=None):
        with self._lock:
            if key not in self._entries:
                return default
            self.size -= self._weights.pop(key)
            return self._entries.pop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weights.clear()
            self.size = 0

    def weights(self) -> dict:
        """{key: weight} of what is cached now (a copy)."""
        with self._lock:
            return dict(self._weights)

    def values(self) -> list:
        with self._lock:
            return list(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def _evict(self) -> None:
        while self.size > self.limit and len(self._entries) > 1:
            key, _ = self._entries.popitem(last=False)
            self.size -= self._weights.pop(key)
