"""Published statistics kept in the process, by what they were computed from.

A report over ten years of national data takes seconds to read and shape;
the same answer, asked again, should not. An answer is kept under its
reach, its query, its horizon and the stamp of the data it was computed
from (``report.stamp``): new data give a new stamp, so a kept answer is
never stale, and an old one simply falls out of the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from cachetools import LRUCache

# Per process. The largest answer, national by flow over eleven months of
# ten years' data (bench/growth.py), is 16 MB of JSON.
DEFAULT_BYTES = 64 * 2**20


class Answers:
    """A thread-safe LRU cache of encoded answers, bounded by their size in bytes."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self._kept: LRUCache[Hashable, bytes] = LRUCache(maxsize=max_bytes, getsizeof=len)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """Return the answer kept under a key, if any."""
        with self._lock:
            return self._kept.get(key)

    def put(self, key: Hashable, body: bytes) -> None:
        """Keep an answer; one larger than the whole cache is not kept."""
        if len(body) > self._kept.maxsize:
            return
        with self._lock:
            self._kept[key] = body
