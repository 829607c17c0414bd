"""Rows the statistics keep only to spare later work: decided patterns, parts, answers.

Each is written in a short transaction of its own, apart from the request's,
so that a report cut short still keeps what it had computed; the first of
two racing writers wins.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable, Mapping

from sqlalchemy import Engine, Insert, Table
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service.models.base import INSERTS

log = logging.getLogger("diskret.stats")

# zlib's fastest level: what a request computes is compressed while its
# client waits (a national answer of 2.2 MB: 9.6 ms at level 1, 44 ms at
# the default 6, for 347 kB instead of 180 kB).
FAST = 1


def digest_of(key: Hashable) -> bytes:
    """Return the SHA-256 digest that names a kept row, the same in every process."""
    return hashlib.sha256(repr(key).encode()).digest()


def inserts_if_absent(table: Table) -> dict[str, Insert]:
    """Return, per dialect, an insert into ``table`` that does nothing when the key is there."""
    return {
        dialect: insert_of(table).on_conflict_do_nothing() for dialect, insert_of in INSERTS.items()
    }


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
