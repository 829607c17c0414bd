"""The audit trail of staff and service actions: never a token, never an address."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from service.identity.actors import Actor
from service.models import AuditEvent


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: uuid.UUID | None,
    centre_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Add one audit event to the current transaction."""
    session.add(
        AuditEvent(
            at=now,
            actor_kind=actor.kind,
            actor_id=actor.id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            centre_id=centre_id,
        )
    )
