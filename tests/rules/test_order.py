"""Rule 3: intro, then decision, then group (late joining bounded), then the closing talk."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, reservations
from service.core import errors
from service.identity.actors import Actor
from service.models import (
    Booking,
    BookingKind,
    BookingStatus,
    Centre,
    Course,
    CourseStatus,
    GroupSession,
)
from tests.rules.steps import approved_courses, book_slot, decide, request_course
from tests.support.world import World, add_group


def _group_bookings(session: Session, course: Course) -> list[Booking]:
    query = select(Booking).where(Booking.course_id == course.id, Booking.kind == BookingKind.GROUP)
    return list(session.scalars(query))


def _talks(session: Session, course: Course, kind: BookingKind) -> list[uuid.UUID | None]:
    query = select(Booking.slot_id).where(
        Booking.course_id == course.id,
        Booking.kind == kind,
        Booking.status == BookingStatus.BOOKED,
    )
    return list(session.scalars(query))


def test_joining_a_group_needs_the_decision_approved(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A course still waiting for its intro talk cannot join a group."""
    course = request_course(session, keyring, world, now=now)

    with pytest.raises(errors.NotApproved):
        reservations.join_group(session, course.id, world.group_a, now=now)

    assert _group_bookings(session, course) == []


def test_a_referred_course_cannot_join_a_group(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A course referred to ordinary treatment has ended and books nothing more."""
    course = request_course(session, keyring, world, now=now)
    decided = decide(session, world, course, pathway.Decision.REFERRED)

    with pytest.raises(errors.CourseClosed):
        reservations.join_group(session, course.id, world.group_a, now=decided)

    assert session.get_one(Course, course.id).status is CourseStatus.REFERRED
    assert _group_bookings(session, course) == []


def test_a_decision_waits_for_the_intro_talk(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime, staff_a: Actor
) -> None:
    """Staff cannot decide before the intro talk has begun; the course stays requested."""
    course = request_course(session, keyring, world, now=now)

    with pytest.raises(errors.IntroNotHeld):
        pathway.decide(session, staff_a, course.id, pathway.Decision.APPROVED, now=now)

    assert session.get_one(Course, course.id).status is CourseStatus.REQUESTED


def test_approval_after_the_intro_marks_it_attended_and_opens_the_group(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Once the intro has taken place and the course is approved, the group can be joined."""
    course = request_course(session, keyring, world, now=now)
    decided = decide(session, world, course)

    place = reservations.join_group(session, course.id, world.group_a, now=decided)

    [intro] = [b for b in course.bookings if b.kind is BookingKind.INTRO]
    assert intro.status is BookingStatus.ATTENDED
    assert place.status is BookingStatus.BOOKED
    assert session.get_one(Course, course.id).status is CourseStatus.ACTIVE


def test_the_intro_comes_before_the_group_and_cannot_be_booked_after_the_decision(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """An approved course books no second intro: the intro is over once decided."""
    [course], later = approved_courses(session, keyring, world, now=now, count=1)

    with pytest.raises(errors.WrongStatus):
        book_slot(session, course.id, world.intro_a[3], now=later)

    assert session.scalars(select(Booking).where(Booking.slot_id == world.intro_a[3])).all() == []


def test_late_joining_is_allowed_until_the_configured_session(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A group whose first session has begun can still be joined while late_join_until allows."""
    [course], later = approved_courses(session, keyring, world, now=now, count=1)
    running = add_group(
        session,
        session.get_one(Centre, world.centre_a),
        first=later - timedelta(hours=1),
        capacity=5,
        late_join_until=2,
    )

    place = reservations.join_group(session, course.id, running.id, now=later)

    assert place.status is BookingStatus.BOOKED


def test_late_joining_stops_once_the_configured_session_has_begun(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Once session late_join_until has begun, the group refuses newcomers."""
    [course], later = approved_courses(session, keyring, world, now=now, count=1)
    running = add_group(
        session,
        session.get_one(Centre, world.centre_a),
        first=later - timedelta(weeks=1, hours=1),
        capacity=5,
        late_join_until=2,
    )

    with pytest.raises(errors.JoiningClosed):
        reservations.join_group(session, course.id, running.id, now=later)

    assert _group_bookings(session, course) == []


def test_the_closing_talk_comes_after_the_last_group_session(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A closing slot during the group is refused with the earliest time; one after it is booked."""
    [course], later = approved_courses(session, keyring, world, now=now, count=1)
    reservations.join_group(session, course.id, world.group_a, now=later)

    with pytest.raises(errors.ClosingTooEarly) as refused:
        book_slot(session, course.id, world.closing_early_a, now=later)
    closing = book_slot(session, course.id, world.closing_late_a, now=later)

    last_end = session.scalar(
        select(func.max(GroupSession.ends_at)).where(GroupSession.group_id == world.group_a)
    )
    assert last_end is not None
    assert refused.value.data == {"earliest": last_end.isoformat()}
    assert closing.status is BookingStatus.BOOKED
    assert _talks(session, course, BookingKind.CLOSING) == [world.closing_late_a]


def test_after_leaving_the_group_the_closing_talk_may_come_at_once(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A citizen who left the group may book a closing talk before the group ends."""
    [course], later = approved_courses(session, keyring, world, now=now, count=1)
    place = reservations.join_group(session, course.id, world.group_a, now=later)
    reservations.cancel(session, course.id, place.id, now=later)

    closing = book_slot(session, course.id, world.closing_early_a, now=later)

    assert closing.status is BookingStatus.BOOKED
    assert _talks(session, course, BookingKind.CLOSING) == [world.closing_early_a]


def test_a_closing_talk_needs_a_group_place_first(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """An approved course that never had a group place cannot book a closing talk."""
    [course], later = approved_courses(session, keyring, world, now=now, count=1)

    with pytest.raises(errors.ClosingNeedsGroup):
        book_slot(session, course.id, world.closing_late_a, now=later)

    assert _talks(session, course, BookingKind.CLOSING) == []
