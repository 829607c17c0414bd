"""Each year's part of a statistics view, kept in the database to build any range from.

A report's columns are independent of each other: each is cut from its
year's national pattern, and a waiting time counts in the months of its
column alone. So a report over any range is the columns it asks for,
taken from one part per year (``service.stats.report``). A year that is
over never changes, so its parts, once kept, answer every later range
that touches it without reading its tallies again.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from service.models import StatsPart
from service.stats.kept import FAST, insert_apart, inserts_if_absent

# {"counts": {metric: {row: {column: cell}}}, "waiting_days": {measure: {row: {column: ...}}}}
Part = dict[str, dict[str, dict[str, dict[str, Any]]]]

_SAVE = inserts_if_absent(cast(Table, StatsPart.__table__))


def load(session: Session, digests: Iterable[bytes]) -> dict[bytes, bytes]:
    """Return the parts kept under any of the digests, by digest, as kept: see ``decode``."""
    rows = session.execute(
        select(StatsPart.digest, StatsPart.body).where(StatsPart.digest.in_(list(digests)))
    )
    return {row.digest: row.body for row in rows}


def decode(body: bytes) -> Part:
    """Return a part as ``load`` found it kept."""
    part: Part = orjson.loads(zlib.decompress(body))
    return part


def present(session: Session, digests: Iterable[bytes]) -> set[bytes]:
    """Return which of the digests name a kept part, without reading the parts."""
    found = session.scalars(select(StatsPart.digest).where(StatsPart.digest.in_(list(digests))))
    return set(found)


def save(session: Session, digest: bytes, part: Part, *, through: str, now: datetime) -> None:
    """Keep a part, in a transaction of its own; a year counted through December is final."""
    row = {
        "digest": digest,
        "through": through,
        "final": through.endswith("-12"),
        "computed_at": now,
        "body": zlib.compress(orjson.dumps(part), FAST),
    }
    insert_apart(session, _SAVE, row, what="Statistics part")
