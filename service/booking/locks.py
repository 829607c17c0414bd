"""Row locks for the rules that must hold under concurrency (SPEC rules 1 and 2).

On PostgreSQL each lock is ``SELECT ... FOR UPDATE``, bounded by the
connection's ``lock_timeout`` (see ``service.db``); a timeout becomes the
retryable ``busy`` error at the HTTP edge. On SQLite ``FOR UPDATE`` is not
emitted: every transaction there already began ``IMMEDIATE`` and holds the
database's single write lock. Rules lock a group before any course, so two
transactions never wait for each other in opposite order.

The statements are built once, at import, with bound parameters: each lock
then costs SQLAlchemy a cache lookup instead of building and keying a new
statement (docs/performance.md).
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from service.core.errors import NotFound
from service.models import Centre, Course, Group, Slot

Locked = TypeVar("Locked", Course, Group, Slot)


def _locking(model: type[Course | Group | Slot]) -> Select[Any]:
    # populate_existing: a row locked now is read afresh even if the session
    # already holds it, so no rule decides on what it read before the lock.
    return (
        select(model)
        .where(model.id == bindparam("id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


_LOCKS: dict[type[Any], Select[Any]] = {model: _locking(model) for model in (Course, Group, Slot)}

# The slot and, in the same round trip, its centre (read, not locked: FOR
# UPDATE OF slots), for a booking that answers with both.
_LOCK_SLOT_WITH_CENTRE = (
    select(Slot, Centre)
    .join(Centre, Centre.id == Slot.centre_id)
    .where(Slot.id == bindparam("id"))
    .with_for_update(of=Slot)
    .execution_options(populate_existing=True)
)


def lock(session: Session, model: type[Locked], object_id: uuid.UUID) -> Locked:
    """Lock one row for the rest of the transaction and return it freshly read."""
    found: Locked | None = session.scalar(_LOCKS[model], {"id": object_id})
    if found is None:
        raise NotFound()
    return found


def lock_slot_with_centre(session: Session, slot_id: uuid.UUID) -> tuple[Slot, Centre]:
    """Lock a slot as ``lock`` does and return it with its centre, in one statement."""
    row = session.execute(_LOCK_SLOT_WITH_CENTRE, {"id": slot_id}).one_or_none()
    if row is None:
        raise NotFound()
    return row.Slot, row.Centre
