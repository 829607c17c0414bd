"""Published statistics kept, by what they were computed from: in the process and in a table.

A report over ten years of national data takes seconds to read and shape;
the same answer, asked again, should not. An answer is kept under its
reach, its query, its horizon and the stamp of the data it was computed
from (``report.stamp``): new data give a new stamp, so a kept answer is
never stale, and an old one simply falls out of the cache. The table
(``stats_answers``) shares answers between processes, and the daily purge
fills it with the default views ahead of any request.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Hashable
from datetime import datetime
from typing import cast

from cachetools import LRUCache
from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from service.models import StatsAnswer
from service.stats.marks import insert_apart, inserts_if_absent

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


_SAVE = inserts_if_absent(cast(Table, StatsAnswer.__table__))


def digest_of(key: Hashable) -> bytes:
    """Return the digest an answer is stored under: of its key's text, the same in every process."""
    return hashlib.sha256(repr(key).encode()).digest()


class StoredAnswers:
    """Answers in the ``stats_answers`` table, shared by every process of the service."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = now

    def load(self, digest: bytes) -> bytes | None:
        """Return the answer stored under a digest, if any."""
        body = self.session.scalar(select(StatsAnswer.body).where(StatsAnswer.digest == digest))
        return None if body is None else zlib.decompress(body)

    def save(self, digest: bytes, answer: bytes, *, horizon: str) -> None:
        """Store an answer in a transaction of its own; a refusal only costs later work."""
        row = {
            "digest": digest,
            "horizon": horizon,
            "computed_at": self.now,
            "body": zlib.compress(answer),
        }
        insert_apart(self.session, _SAVE, row, what="Statistics answer")


def forget_before(session: Session, horizon: str) -> int:
    """Delete the stored answers of horizons before this one; no request asks for them again."""
    deleted = session.execute(delete(StatsAnswer).where(StatsAnswer.horizon < horizon))
    return int(getattr(deleted, "rowcount", 0) or 0)
