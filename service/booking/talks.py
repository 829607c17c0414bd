"""No-shows at the individual talks, and when a course may close as never came.

A no-show keeps its slot (the time has passed) but frees the course to book
another: the one live booking per kind (``uq_bookings_course_kind_live``)
counts only booked and waitlisted ones. An intro talk is recorded as held by
the decision after it (``pathway.decide``); here only its no-show is. A
requested course whose citizen did not come, and who booked no other intro
talk, can then be closed as ``never_came`` (``pathway.record_outcome``),
which the statistics count apart from cancelled requests.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from service.booking.reservations import lock_course_and_group
from service.core import errors
from service.identity import audit
from service.identity.actors import Actor
from service.models import OPEN_STATUSES, Booking, BookingKind, BookingStatus, Course, CourseStatus


def record_no_show(
    session: Session, actor: Actor, course_id: uuid.UUID, kind: BookingKind, *, now: datetime
) -> Booking:
    """Record that the citizen did not come to the booked intro or closing talk that has begun."""
    if kind is BookingKind.GROUP:
        raise errors.InvalidInput("A no-show is recorded for an intro or closing talk.")
    course = lock_course_and_group(session, course_id)
    actor.require_centre(course.centre_id)
    if course.status not in OPEN_STATUSES:
        raise errors.CourseClosed()
    booking = next(
        (b for b in course.bookings if b.kind is kind and b.status is BookingStatus.BOOKED), None
    )
    if booking is None or booking.slot is None:
        raise errors.WrongStatus("The course has no booked talk of that kind.")
    if booking.slot.starts_at > now:
        raise errors.TalkNotBegun()
    booking.status = BookingStatus.NO_SHOW
    session.flush()
    audit.record(
        session,
        actor,
        f"course.{kind.value}_no_show",
        object_type="course",
        object_id=course.id,
        centre_id=course.centre_id,
        now=now,
    )
    return booking


def refuse_unless_never_came(course: Course) -> None:
    """Refuse to close a course as never came unless the intro was missed and none is booked.

    The course is requested (no decision: the citizen never came to a talk),
    at least one intro talk is recorded as a no-show, and no intro is booked.
    """
    intros = [booking.status for booking in course.bookings if booking.kind is BookingKind.INTRO]
    if course.status is not CourseStatus.REQUESTED:
        raise errors.WrongStatus()
    if BookingStatus.NO_SHOW not in intros or BookingStatus.BOOKED in intros:
        raise errors.NoShowNotRecorded()


def can_close_as_never_came(course: Course) -> bool:
    """Tell whether the course may now be closed as never came."""
    try:
        refuse_unless_never_came(course)
    except errors.DomainError:
        return False
    return True
