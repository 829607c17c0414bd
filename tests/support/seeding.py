"""Seeding shared by the tests and bench/: a scratch PostgreSQL database and slots in bulk.

bench/ imports this module too (bench/harness.py puts the repository's root
on the path), so it needs nothing that only the tests install, pytest included.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.models import Slot, SlotKind


@contextmanager
def scratch_database(
    admin_url: str, *, prefix: str = "diskret_test", keep: bool = False
) -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, and drop it afterwards unless kept."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_intro_slots(
    session: Session, centre_id: uuid.UUID, count: int, *, first: datetime, now: datetime
) -> list[uuid.UUID]:
    """Insert ``count`` free 10-minute intro slots, 15 minutes apart from ``first``, in one go."""
    ids = [uuid.uuid4() for _ in range(count)]
    step, length = timedelta(minutes=15), timedelta(minutes=10)
    session.execute(
        insert(Slot),
        [
            {
                "id": slot,
                "centre_id": centre_id,
                "kind": SlotKind.INTRO,
                "starts_at": first + n * step,
                "ends_at": first + n * step + length,
                "created_at": now,
            }
            for n, slot in enumerate(ids)
        ],
    )
    return ids
