"""No-shows at the intro and closing talks, and closing a course whose citizen never came."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, reservations, talks
from service.core import errors
from service.identity.actors import Actor
from service.models import (
    Booking,
    BookingKind,
    BookingStatus,
    Centre,
    Course,
    CourseStatus,
    Slot,
    SlotKind,
    Tally,
)
from tests.rules.steps import approved_courses, book_slot, request_course
from tests.support.world import World, add_slot


def _intro(course: Course) -> Booking:
    return next(b for b in course.bookings if b.kind is BookingKind.INTRO)


def _intro_time(session: Session, course: Course) -> datetime:
    return session.get_one(Slot, _intro(course).slot_id).starts_at


def _tallied(session: Session, metric: str) -> int:
    counts = session.scalars(select(Tally.count).where(Tally.metric == metric)).all()
    return sum(counts)


def _missed_intro(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> tuple[Course, datetime]:
    """Return a requested course whose intro talk is recorded as a no-show, and when."""
    course = request_course(session, keyring, world, now=now)
    after = _intro_time(session, course) + timedelta(minutes=30)
    talks.record_no_show(session, staff_a, course.id, BookingKind.INTRO, now=after)
    return course, after


def test_a_no_show_at_the_intro_is_recorded_and_the_citizen_may_book_again(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """The intro booking becomes a no-show, the course stays requested, and a new intro books."""
    course, after = _missed_intro(session, keyring, world, staff_a, now)

    again = book_slot(session, course.id, world.intro_a[3], now=after)

    assert _intro(course).status is BookingStatus.NO_SHOW
    assert session.get_one(Course, course.id).status is CourseStatus.REQUESTED
    assert again.status is BookingStatus.BOOKED


def test_a_no_show_is_refused_before_the_talk_begins(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """Nobody is recorded as absent from a talk that has not begun; the booking stays booked."""
    course = request_course(session, keyring, world, now=now)
    before = _intro_time(session, course) - timedelta(minutes=1)

    with pytest.raises(errors.TalkNotBegun):
        talks.record_no_show(session, staff_a, course.id, BookingKind.INTRO, now=before)

    assert _intro(course).status is BookingStatus.BOOKED


def test_closing_as_never_came_counts_in_its_own_metric(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """After a recorded intro no-show the course closes as never_came, not as cancelled."""
    course, after = _missed_intro(session, keyring, world, staff_a, now)

    closed = pathway.record_outcome(
        session, staff_a, course.id, pathway.Outcome.NEVER_CAME, now=after
    )

    assert closed.status is CourseStatus.NEVER_CAME
    assert closed.ended_at is not None
    assert (_tallied(session, "never_came"), _tallied(session, "cancelled")) == (1, 0)


def test_never_came_needs_a_recorded_no_show_at_the_intro(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """A requested course with its intro still booked cannot be closed as never came."""
    course = request_course(session, keyring, world, now=now)
    after = _intro_time(session, course) + timedelta(minutes=30)

    with pytest.raises(errors.NoShowNotRecorded):
        pathway.record_outcome(session, staff_a, course.id, pathway.Outcome.NEVER_CAME, now=after)

    assert session.get_one(Course, course.id).status is CourseStatus.REQUESTED
    assert _tallied(session, "never_came") == 0


def test_never_came_is_refused_while_another_intro_is_booked(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """A citizen who missed the intro but booked a new time may still come."""
    course, after = _missed_intro(session, keyring, world, staff_a, now)
    book_slot(session, course.id, world.intro_a[3], now=after)

    with pytest.raises(errors.NoShowNotRecorded):
        pathway.record_outcome(session, staff_a, course.id, pathway.Outcome.NEVER_CAME, now=after)

    assert session.get_one(Course, course.id).status is CourseStatus.REQUESTED


def test_an_approved_course_cannot_close_as_never_came(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """The citizen came to the intro talk: the course is no never-came."""
    [course], decided = approved_courses(session, keyring, world, now=now, count=1)

    with pytest.raises(errors.WrongStatus):
        pathway.record_outcome(session, staff_a, course.id, pathway.Outcome.NEVER_CAME, now=decided)

    assert session.get_one(Course, course.id).status is CourseStatus.APPROVED


def test_a_no_show_at_the_closing_talk_frees_the_course_to_book_another(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """The closing booking becomes a no-show; the active course books a later closing talk."""
    [course], decided = approved_courses(session, keyring, world, now=now, count=1)
    reservations.join_group(session, course.id, world.group_a, now=decided)
    closing = book_slot(session, course.id, world.closing_late_a, now=decided)
    centre = session.get_one(Centre, world.centre_a)
    closing_at = session.get_one(Slot, world.closing_late_a).starts_at
    later = add_slot(session, centre, SlotKind.CLOSING, closing_at + timedelta(days=2))
    after = closing_at + timedelta(minutes=50)

    talks.record_no_show(session, staff_a, course.id, BookingKind.CLOSING, now=after)
    again = book_slot(session, course.id, later.id, now=after)

    assert closing.status is BookingStatus.NO_SHOW
    assert again.status is BookingStatus.BOOKED
    assert session.get_one(Course, course.id).status is CourseStatus.ACTIVE


def test_a_group_place_or_a_talk_recorded_already_is_no_talk_to_miss(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """A group place is no talk; an intro held (decided) has no booked talk left to miss."""
    [course], decided = approved_courses(session, keyring, world, now=now, count=1)
    reservations.join_group(session, course.id, world.group_a, now=decided)

    with pytest.raises(errors.InvalidInput):
        talks.record_no_show(session, staff_a, course.id, BookingKind.GROUP, now=decided)
    with pytest.raises(errors.WrongStatus):
        talks.record_no_show(session, staff_a, course.id, BookingKind.INTRO, now=decided)

    assert _intro(course).status is BookingStatus.ATTENDED


def test_another_centre_cannot_record_a_no_show(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Centre B's staff are refused as if the course did not exist; the intro stays booked."""
    course = request_course(session, keyring, world, now=now)
    staff_b = Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_b)
    after = _intro_time(session, course) + timedelta(minutes=30)

    with pytest.raises(errors.NotFound):
        talks.record_no_show(session, staff_b, course.id, BookingKind.INTRO, now=after)

    assert _intro(course).status is BookingStatus.BOOKED
