"""Row locks for the rules that must hold under concurrency (SPEC rules 1 and 2).

On PostgreSQL each lock is ``SELECT ... FOR UPDATE``, bounded by the
connection's ``lock_timeout`` (see ``service.db``); a timeout becomes the
retryable ``busy`` error at the HTTP edge. On SQLite ``FOR UPDATE`` is not
emitted: every transaction there already began ``IMMEDIATE`` and holds the
database's single write lock. Rules lock a group before any course, so two
transactions never wait for each other in opposite order.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.booking.errors import NotFound
from service.models import Course, Group, Slot

Locked = TypeVar("Locked", Course, Group, Slot)


def lock(session: Session, model: type[Locked], object_id: uuid.UUID) -> Locked:
    """Lock one row for the rest of the transaction and return it freshly read."""
    query = (
        select(model)
        .where(model.id == object_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = session.scalar(query)
    if found is None:
        raise NotFound()
    return found
