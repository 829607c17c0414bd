"""Course events for webhooks, queued in the transaction of the event (a transactional outbox).

Delivery happens later, from the queue, never inside the citizen's request
(``service.hooks``). A payload carries the event and ids, nothing else.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.core.clock import to_the_minute
from service.models import Course, Delivery, DeliveryStatus, Webhook

EVENTS = ("course.approved", "group.place_granted", "course.completed", "course.erased")


def emit(
    session: Session,
    event: str,
    course: Course,
    *,
    now: datetime,
    group: uuid.UUID | None = None,
) -> int:
    """Queue one delivery of the event to every active webhook that follows it; return how many."""
    assert event in EVENTS, event
    hooks = session.scalars(
        select(Webhook).where(
            Webhook.active.is_(True),
            or_(
                Webhook.centre_id == course.centre_id,
                Webhook.municipality_code == course.home_municipality,
                Webhook.centre_id.is_(None) & Webhook.municipality_code.is_(None),
            ),
        )
    ).all()
    queued = 0
    for hook in hooks:
        if event not in hook.events.split():
            continue
        delivery_id = uuid.uuid4()
        data = {"course_id": str(course.id), "centre_id": str(course.centre_id)}
        if group is not None:
            data["group_id"] = str(group)
        payload = {
            "id": str(delivery_id),
            "event": event,
            # To the minute, as the course's own times are kept.
            "occurred_at": to_the_minute(now).isoformat(),
            "data": data,
        }
        session.add(
            Delivery(
                id=delivery_id,
                webhook_id=hook.id,
                event=event,
                payload=json.dumps(payload, separators=(",", ":"), sort_keys=True),
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
        )
        queued += 1
    return queued
