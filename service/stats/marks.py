"""Suppression patterns kept in the database, so a year is decided once, not once per process.

Deciding a year's pattern takes seconds (many more for ten years of
national data); the tallies of a month that is over never change, so
neither does its pattern. Each decided pattern is saved in a short
transaction of its own, apart from the request's, so that even a report
cut short keeps what it had decided.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from service.models import SuppressionMarks
from service.stats.kept import insert_apart, inserts_if_absent
from service.stats.suppression import Marks, Node

_SAVE = inserts_if_absent(cast(Table, SuppressionMarks.__table__))


def _encode(marks: Marks) -> bytes:
    body = {name: sorted(getattr(marks, name)) for name in ("hidden", "widened", "unproven")}
    return zlib.compress(orjson.dumps(body))


def _nodes(rows: list[list[str]]) -> frozenset[Node]:
    return frozenset((home, centre, column) for home, centre, column in rows)


def _decode(body: bytes) -> Marks:
    parts = orjson.loads(zlib.decompress(body))
    return Marks(_nodes(parts["hidden"]), _nodes(parts["widened"]), _nodes(parts["unproven"]))


class DatabaseMarks:
    """A ``MarkStore`` in the ``suppression_marks`` table."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = now

    def load(self, fingerprint: bytes) -> Marks | None:
        """Return the marks saved under a fingerprint, if any."""
        body = self.session.scalar(
            select(SuppressionMarks.body).where(SuppressionMarks.fingerprint == fingerprint)
        )
        return None if body is None else _decode(body)

    def save(self, fingerprint: bytes, marks: Marks, *, year: str, final: bool) -> None:
        """Save marks in a transaction of their own, apart from the report's.

        Saving only spares later work: when the database refuses (busy,
        restarting), the report goes on with the pattern it has.
        """
        row = {
            "fingerprint": fingerprint,
            "year": year,
            "final": final,
            "computed_at": self.now,
            "body": _encode(marks),
        }
        insert_apart(self.session, _SAVE, row, what="Suppression pattern")
