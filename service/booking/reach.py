"""A centre's own objects: a course, group or slot within a staff actor's reach (SPEC P9)."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.orm import Session

from service.core.errors import NotFound
from service.identity.actors import Actor
from service.models import Course, Group, Slot

Owned = TypeVar("Owned", Course, Group, Slot)


def own(session: Session, actor: Actor, model: type[Owned], object_id: uuid.UUID) -> Owned:
    """Return an object of the actor's centre; another centre's is refused as a missing one."""
    found = session.get(model, object_id)
    if found is None:
        raise NotFound()
    actor.require_centre(found.centre_id)
    return found
