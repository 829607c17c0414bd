"""Suppression patterns kept in the database, so a year is decided once, not once per process.

Deciding a year's pattern takes seconds (many more for ten years of
national data); the tallies of a month that is over never change, so
neither does its pattern. Each decided pattern is saved in a short
transaction of its own, apart from the request's, so that even a report
cut short keeps what it had decided.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import cast

from sqlalchemy import Engine, Insert, Table, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service.models import SuppressionMarks
from service.models.base import INSERTS
from service.stats.suppression import Marks, Node

log = logging.getLogger("diskret.stats")


def inserts_if_absent(table: Table) -> dict[str, Insert]:
    """Return, per dialect, an insert into ``table`` that does nothing when the key is there."""
    return {
        dialect: insert_of(table).on_conflict_do_nothing() for dialect, insert_of in INSERTS.items()
    }


_SAVE = inserts_if_absent(cast(Table, SuppressionMarks.__table__))


def _encode(marks: Marks) -> bytes:
    body = {name: sorted(getattr(marks, name)) for name in ("hidden", "widened", "unproven")}
    return zlib.compress(json.dumps(body, separators=(",", ":")).encode())


def _nodes(rows: list[list[str]]) -> frozenset[Node]:
    return frozenset((home, centre, column) for home, centre, column in rows)


def _decode(body: bytes) -> Marks:
    parts = json.loads(zlib.decompress(body))
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


def insert_apart(
    session: Session, inserts: Mapping[str, Insert], row: dict[str, object], *, what: str
) -> None:
    """Insert a row in a short transaction of its own, unless one with its key is there.

    The first of two racing savers wins; the other's insert does nothing. When
    the database refuses (busy, restarting), nothing is kept and the caller
    goes on: what is kept only spares later work.
    """
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    try:
        with bind.begin() as connection:
            connection.execute(inserts[bind.dialect.name], row)
    except OperationalError as error:
        log.warning("%s not kept: %s", what, type(error).__name__)
