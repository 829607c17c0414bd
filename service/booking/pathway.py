"""A citizen's course from request to end: the token, decisions, outcomes and erasure."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import crypto
from service.booking import audit, errors, events, tally
from service.booking.actors import Actor
from service.booking.clock import local_today
from service.booking.directory import require_contract
from service.booking.locks import lock
from service.booking.reservations import lock_bookable_slot, lock_course_and_group, release_all
from service.models import (
    OPEN_STATUSES,
    Booking,
    BookingKind,
    BookingStatus,
    Course,
    CourseStatus,
    Municipality,
    Slot,
    SlotKind,
    WebSession,
)

TOKEN_PURPOSE = "token"  # noqa: S105 - a digest purpose label, not a secret


class Decision(StrEnum):
    """What the centre decides after the intro talk (§ 101 a, stk. 3-5)."""

    APPROVED = "approved"
    REFERRED = "referred"


class Outcome(StrEnum):
    """How a course ends, as staff record it."""

    COMPLETED = "completed"
    DROPPED = "dropped"


def _new_reference(session: Session) -> str:
    # 40 random bits; a clash among live courses is unlikely but cheap to rule out.
    while True:
        reference = crypto.generate_reference()
        if session.scalar(select(Course.id).where(Course.reference == reference)) is None:
            return reference


def _bind_token(course: Course, keyring: crypto.Keyring) -> str:
    token = crypto.generate_token()
    digest = keyring.digest(crypto.normalize_token(token), purpose=TOKEN_PURPOSE)
    course.token_digest, course.token_key_version = digest.value, digest.version
    return token


def create_course(
    session: Session,
    keyring: crypto.Keyring,
    *,
    home_municipality: str,
    centre_id: uuid.UUID,
    intro_slot_id: uuid.UUID,
    language: str,
    now: datetime,
) -> tuple[str, Course]:
    """Create a token, a course and its intro booking; return the token, shown only once."""
    if session.get(Municipality, home_municipality) is None:
        raise errors.InvalidInput("No municipality has that code.", field="home_municipality")
    slot = lock_bookable_slot(
        session, intro_slot_id, centre_id=centre_id, kind=SlotKind.INTRO, now=now
    )
    days = {local_today(now), local_today(slot.starts_at)}
    require_contract(session, home_municipality, centre_id, days=days)
    course = Course(
        reference=_new_reference(session),
        centre_id=centre_id,
        home_municipality=home_municipality,
        language=language,
        status=CourseStatus.REQUESTED,
        requested_at=now,
    )
    token = _bind_token(course, keyring)
    course.bookings.append(
        Booking(
            kind=BookingKind.INTRO, slot_id=slot.id, status=BookingStatus.BOOKED, created_at=now
        )
    )
    session.add(course)
    session.flush()
    tally.count(session, course, "requested", at=now)
    return token, course


def course_for_token(session: Session, keyring: crypto.Keyring, token: str) -> Course:
    """Return the course a token belongs to.

    A typo is caught by the check character before the database is asked. An
    unknown, replaced or erased token raises the one ``TokenRejected``, after
    the same single indexed lookup, so the answers cannot be told apart.
    """
    try:
        canonical = crypto.normalize_token(token)
    except crypto.InvalidTokenError:
        raise errors.TokenMalformed() from None
    digests = [d.value for d in keyring.candidates(canonical, purpose=TOKEN_PURPOSE)]
    course = session.scalar(select(Course).where(Course.token_digest.in_(digests)))
    if course is None:
        raise errors.TokenRejected()
    return course


def refresh_token_digest(course: Course, keyring: crypto.Keyring, token: str) -> None:
    """Re-key the stored digest under the current key after a rotation (on a write path)."""
    if course.token_key_version != keyring.current_version:
        digest = keyring.digest(crypto.normalize_token(token), purpose=TOKEN_PURPOSE)
        course.token_digest, course.token_key_version = digest.value, digest.version


def erase(session: Session, course_id: uuid.UUID, *, now: datetime) -> None:
    """Erase a course, its bookings and its token at the citizen's wish, freeing its places."""
    course = lock_course_and_group(session, course_id)
    release_all(session, course, now=now)
    tally.count(session, course, "erased", at=now)
    events.emit(session, "course.erased", course, now=now)
    session.delete(course)
    session.flush()


def staff_course(session: Session, actor: Actor, course_id: uuid.UUID) -> Course:
    """Lock and return a course of the actor's own centre (others look like missing ones)."""
    course = lock_course_and_group(session, course_id)
    actor.require_centre(course.centre_id)
    return course


def _audit(session: Session, actor: Actor, course: Course, action: str, *, now: datetime) -> None:
    audit.record(
        session,
        actor,
        action,
        object_type="course",
        object_id=course.id,
        centre_id=course.centre_id,
        now=now,
    )
    session.flush()


def decide(
    session: Session, actor: Actor, course_id: uuid.UUID, decision: Decision, *, now: datetime
) -> Course:
    """Record the decision after the intro talk: approved, or referred to ordinary treatment."""
    course = staff_course(session, actor, course_id)
    if course.status is not CourseStatus.REQUESTED:
        raise errors.WrongStatus()
    intro = session.execute(
        select(Booking, Slot)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.course_id == course.id,
            Booking.kind == BookingKind.INTRO,
            Booking.status == BookingStatus.BOOKED,
        )
    ).first()
    if intro is None or intro.Slot.starts_at > now:
        raise errors.IntroNotHeld()
    intro.Booking.status = BookingStatus.ATTENDED
    course.intro_at = intro.Slot.starts_at
    course.decided_at = now
    tally.count(session, course, "intro_held", at=now)
    tally.count(session, course, decision.value, at=now)
    tally.wait(session, course, "request_to_intro", course.requested_at, course.intro_at)
    if decision is Decision.APPROVED:
        course.status = CourseStatus.APPROVED
        events.emit(session, "course.approved", course, now=now)
    else:
        course.status = CourseStatus.REFERRED
        course.ended_at = now
        release_all(session, course, now=now)
    _audit(session, actor, course, f"course.{decision.value}", now=now)
    return course


def record_outcome(
    session: Session, actor: Actor, course_id: uuid.UUID, outcome: Outcome, *, now: datetime
) -> Course:
    """Close a course as completed or dropped, freeing its future bookings.

    A course that ends before it ever had a group place is recorded as
    ``cancelled``, so that drop-out figures count only people who started.
    """
    course = staff_course(session, actor, course_id)
    if course.status not in OPEN_STATUSES:
        raise errors.WrongStatus()
    if course.status is CourseStatus.ACTIVE:
        course.status = CourseStatus(outcome.value)
    elif outcome is Outcome.DROPPED:
        course.status = CourseStatus.CANCELLED
    else:
        raise errors.WrongStatus("Only a course with a group place can be completed.")
    course.ended_at = now
    release_all(session, course, now=now)
    tally.count(session, course, course.status.value, at=now)
    if course.status is CourseStatus.COMPLETED:
        events.emit(session, "course.completed", course, now=now)
    _audit(session, actor, course, f"course.{course.status.value}", now=now)
    return course


def replace_token(
    session: Session, keyring: crypto.Keyring, actor: Actor, course_id: uuid.UUID, *, now: datetime
) -> tuple[str, Course]:
    """Give a citizen who is present a new token; the old one stops working at once."""
    course = lock(session, Course, course_id)
    actor.require_centre(course.centre_id)
    if course.status not in OPEN_STATUSES:
        raise errors.CourseClosed()
    token = _bind_token(course, keyring)
    # Whoever held the old token, signed in on a web page, is signed out with it.
    session.execute(delete(WebSession).where(WebSession.course_id == course.id))
    _audit(session, actor, course, "course.token_replaced", now=now)
    session.flush()
    return token, course


def centre_courses(
    session: Session, actor: Actor, centre_id: uuid.UUID, *, status: CourseStatus | None
) -> Sequence[Course]:
    """Return a centre's courses, newest request first, optionally of one status."""
    actor.require_centre(centre_id)
    query = select(Course).where(Course.centre_id == centre_id)
    if status is not None:
        query = query.where(Course.status == status)
    return session.scalars(query.order_by(Course.requested_at.desc())).all()
