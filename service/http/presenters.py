"""Shape domain objects into the payloads the schemas dump."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.booking.reservations import waitlist_position
from service.models import Centre, Course, Group, Slot


def course_payload(session: Session, course: Course) -> dict[str, Any]:
    """Return a course with its bookings, their times and any waitlist position."""
    bookings = []
    for booking in course.bookings:
        group = session.get(Group, booking.group_id) if booking.group_id else None
        bookings.append(
            {
                "id": booking.id,
                "kind": booking.kind.value,
                "status": booking.status.value,
                "slot": session.get(Slot, booking.slot_id) if booking.slot_id else None,
                "group": group,
                "sessions": group.sessions if group else [],
                "waitlist_position": waitlist_position(session, booking),
            }
        )
    return {
        "id": course.id,
        "reference": course.reference,
        "status": course.status.value,
        "centre": session.get(Centre, course.centre_id),
        "home_municipality": course.home_municipality,
        "language": course.language,
        "requested_at": course.requested_at,
        "decided_at": course.decided_at,
        "started_at": course.started_at,
        "ended_at": course.ended_at,
        "bookings": bookings,
    }
