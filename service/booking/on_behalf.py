"""Staff carry a phone caller's course: the citizen's own rules and locks, in the audit trail.

The law allows anonymous contact by phone (serviceloven § 101 a), so a
citizen without web access must be able to go the whole way through a
centre's staff. Each step here checks that the course is of the actor's
centre (another centre's looks like a missing one, SPEC P9), then calls the
very rule the citizen's own booking calls (``service.booking.reservations``),
which takes the same locks and refuses the same things, and records one
audit event that names the course and says it was done for the caller;
never a token. A course's centre never changes, so the reach is read
without a lock, and the rule then locks in its own order (group before
course), as it does for the citizen.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import reach, reservations
from service.booking.steps import LIVE
from service.core import errors
from service.identity import audit
from service.identity.actors import Actor
from service.models import Booking, BookingKind, BookingStatus, Course, SlotKind


def find_by_reference(session: Session, actor: Actor, reference: str) -> Course:
    """Return the course of the actor's centre with that reference, as the citizen reads it out.

    Case, spaces and dashes do not matter. Another centre's reference finds
    nothing, exactly as an unknown one.
    """
    try:
        canonical = crypto.normalize_reference(reference)
    except crypto.InvalidTokenError:
        raise errors.ReferenceMalformed(field="reference") from None
    if actor.centre_id is None:
        raise errors.NotFound(field="reference")
    course = session.scalar(
        select(Course).where(Course.reference == canonical, Course.centre_id == actor.centre_id)
    )
    if course is None:
        raise errors.NotFound(field="reference")
    return course


def _record(session: Session, actor: Actor, course: Course, action: str, now: datetime) -> None:
    audit.record(
        session,
        actor,
        f"course.{action}_for_caller",
        object_type="course",
        object_id=course.id,
        centre_id=course.centre_id,
        now=now,
    )
    session.flush()


def book_talk(
    session: Session,
    actor: Actor,
    course_id: uuid.UUID,
    slot_id: uuid.UUID,
    kind: SlotKind,
    *,
    now: datetime,
) -> Booking:
    """Book or move the course's intro or closing talk for the caller."""
    course = reach.own(session, actor, Course, course_id)
    # Moving cancels the old talk before the new one is booked: a refusal of
    # the new time undoes the cancellation too, so the page shows what holds.
    with session.begin_nested():
        booking, moved = reservations.book_talk(session, course.id, slot_id, kind, now=now)
    _record(session, actor, course, f"{kind.value}_{'moved' if moved else 'booked'}", now)
    return booking


def join_group(
    session: Session, actor: Actor, course_id: uuid.UUID, group_id: uuid.UUID, *, now: datetime
) -> Booking:
    """Give the caller's course a place in a group, or a place on its waitlist when it is full."""
    course = reach.own(session, actor, Course, course_id)
    booking = reservations.join_group(session, course.id, group_id, now=now)
    joined = "group_joined" if booking.status is BookingStatus.BOOKED else "waitlisted"
    _record(session, actor, course, joined, now)
    return booking


def cancel(
    session: Session, actor: Actor, course_id: uuid.UUID, kind: BookingKind, *, now: datetime
) -> Booking:
    """Cancel the caller's live talk of that kind, or their group or waitlist place.

    A course holds at most one live booking of each kind (``uq_bookings_course_kind_live``).
    """
    course = reach.own(session, actor, Course, course_id)
    live = session.scalar(
        select(Booking).where(
            Booking.course_id == course.id, Booking.kind == kind, Booking.status.in_(LIVE)
        )
    )
    if live is None:
        raise errors.NotCancellable()
    reservations.cancel(session, course.id, live.id, now=now)
    _record(session, actor, course, f"{kind.value}_cancelled", now)
    return live
