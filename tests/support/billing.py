"""Made-up courses for the billing tests: intro talks, group places and attendance at set times.

They are written straight into the tables, so a test can put each event in
the month it is about, past or future, without the pathway's clock.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from service.core.clock import LOCAL
from service.models import (
    Attendance,
    Booking,
    BookingKind,
    BookingStatus,
    Centre,
    Course,
    CourseStatus,
    Group,
    SlotKind,
)
from tests.support.world import HOME, add_slot


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Return a Copenhagen wall-clock time as an instant in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL).astimezone(UTC)


def add_course(
    session: Session,
    centre: uuid.UUID,
    *,
    home: str = HOME,
    status: CourseStatus = CourseStatus.ACTIVE,
    ended_at: datetime | None = None,
) -> Course:
    """Add a course with a random reference and digest, requested in December 2030."""
    course = Course(
        reference=secrets.token_hex(4).upper(),
        token_digest=secrets.token_bytes(32),
        token_key_version=1,
        centre_id=centre,
        home_municipality=home,
        status=status,
        requested_at=local(2030, 12, 1, 9),
        ended_at=ended_at,
    )
    session.add(course)
    session.flush()
    return course


def add_intro(
    session: Session, course: Course, at: datetime, status: BookingStatus = BookingStatus.ATTENDED
) -> None:
    """Give a course an intro talk at ``at`` with the given outcome."""
    slot = add_slot(session, session.get_one(Centre, course.centre_id), SlotKind.INTRO, at)
    session.add(
        Booking(
            course_id=course.id,
            kind=BookingKind.INTRO,
            slot_id=slot.id,
            status=status,
            created_at=at - timedelta(days=3),
        )
    )
    session.flush()


def place(
    session: Session,
    course: Course,
    group: Group,
    placed_at: datetime,
    cancelled_at: datetime | None = None,
) -> Booking:
    """Give a course a place in a group from ``placed_at``, given up at ``cancelled_at``."""
    booking = Booking(
        course_id=course.id,
        kind=BookingKind.GROUP,
        group_id=group.id,
        status=BookingStatus.BOOKED if cancelled_at is None else BookingStatus.CANCELLED,
        created_at=placed_at,
        placed_at=placed_at,
        cancelled_at=cancelled_at,
    )
    session.add(booking)
    session.flush()
    return booking


def attend(session: Session, booking: Booking, group: Group, present: list[bool]) -> None:
    """Record the booking's attendance at the group's first meetings, in order."""
    for meeting, came in zip(group.sessions, present, strict=False):
        session.add(
            Attendance(
                booking_id=booking.id,
                session_id=meeting.id,
                present=came,
                recorded_at=meeting.ends_at,
            )
        )
    session.flush()
