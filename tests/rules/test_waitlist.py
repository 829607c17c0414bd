"""Rule 4: a full group keeps a FIFO waitlist, promoted in the transaction that frees a place."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, reservations, schedule
from service.core.clock import to_the_minute
from service.identity.actors import Actor
from service.models import Booking, BookingStatus, Course, CourseStatus, Group, GroupSession
from tests.rules.steps import approved_courses
from tests.support.world import World


def _statuses(session: Session, group_id: uuid.UUID) -> dict[uuid.UUID, BookingStatus]:
    """Return each course's group booking status, read afresh from the database."""
    session.expire_all()
    rows = session.execute(
        select(Booking.course_id, Booking.status).where(Booking.group_id == group_id)
    ).all()
    return {course_id: status for course_id, status in rows}  # noqa: C416 - Row tuples


def group_first_session(session: Session, world: World) -> datetime | None:
    """Return when group A's first session begins."""
    query = select(GroupSession.starts_at).where(
        GroupSession.group_id == world.group_a, GroupSession.number == 1
    )
    return session.scalar(query)


def _full_group_with_two_waiting(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> tuple[list[Course], list[Booking], datetime]:
    """Fill group A's two places and queue two more courses; return courses, bookings, when."""
    courses, later = approved_courses(session, keyring, world, now=now, count=4)
    bookings = [
        reservations.join_group(session, course.id, world.group_a, now=later) for course in courses
    ]
    return courses, bookings, later


def test_a_full_group_puts_the_citizen_on_a_fifo_waitlist(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """With two places, the third and fourth course wait in the order they came."""
    courses, later = approved_courses(session, keyring, world, now=now, count=4)

    bookings = [
        reservations.join_group(session, course.id, world.group_a, now=later) for course in courses
    ]

    assert [b.status for b in bookings] == [
        BookingStatus.BOOKED,
        BookingStatus.BOOKED,
        BookingStatus.WAITLISTED,
        BookingStatus.WAITLISTED,
    ]
    assert [b.queue_no for b in bookings] == [None, None, 1, 2]
    assert [reservations.waitlist_position(session, b) for b in bookings] == [None, None, 1, 2]
    assert [session.get_one(Course, c.id).status for c in courses] == [
        CourseStatus.ACTIVE,
        CourseStatus.ACTIVE,
        CourseStatus.APPROVED,
        CourseStatus.APPROVED,
    ]


def test_cancelling_a_place_promotes_the_first_waiting_citizen_in_the_same_transaction(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """The freed place goes to waitlist number 1 before anything commits; number 2 moves up."""
    courses, bookings, later = _full_group_with_two_waiting(session, keyring, world, now)

    reservations.cancel(session, courses[0].id, bookings[0].id, now=later)

    statuses = _statuses(session, world.group_a)
    assert [statuses[c.id] for c in courses] == [
        BookingStatus.CANCELLED,
        BookingStatus.BOOKED,
        BookingStatus.BOOKED,
        BookingStatus.WAITLISTED,
    ]
    assert session.get_one(Course, courses[2].id).status is CourseStatus.ACTIVE
    assert reservations.waitlist_position(session, session.get_one(Booking, bookings[3].id)) == 1
    assert session.get_one(Group, world.group_a).places_taken == 2
    first = group_first_session(session, world)
    assert first is not None
    assert session.get_one(Course, courses[2].id).started_at == to_the_minute(first)


def test_leaving_the_waitlist_keeps_the_order_of_the_others(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """When number 1 leaves the waitlist, number 2 is first and gets the next free place."""
    courses, bookings, later = _full_group_with_two_waiting(session, keyring, world, now)
    reservations.cancel(session, courses[2].id, bookings[2].id, now=later)

    reservations.cancel(session, courses[1].id, bookings[1].id, now=later)

    statuses = _statuses(session, world.group_a)
    assert statuses[courses[2].id] is BookingStatus.CANCELLED
    assert statuses[courses[3].id] is BookingStatus.BOOKED


def test_raising_capacity_promotes_as_many_as_now_fit(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime, staff_a: Actor
) -> None:
    """Raising a full group's capacity by one gives the first waiting citizen the place."""
    courses, _, later = _full_group_with_two_waiting(session, keyring, world, now)

    group = schedule.update_group(
        session, staff_a, world.group_a, capacity=3, intake_open=None, now=later
    )

    statuses = _statuses(session, world.group_a)
    assert [statuses[c.id] for c in courses] == [
        BookingStatus.BOOKED,
        BookingStatus.BOOKED,
        BookingStatus.BOOKED,
        BookingStatus.WAITLISTED,
    ]
    assert (group.capacity, group.places_taken) == (3, 3)


def test_erasing_a_course_frees_its_place_for_the_waitlist(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A citizen who erases everything frees the place, and waitlist number 1 gets it."""
    courses, _, later = _full_group_with_two_waiting(session, keyring, world, now)

    pathway.erase(session, courses[0].id, now=later)

    statuses = _statuses(session, world.group_a)
    assert courses[0].id not in statuses
    assert statuses[courses[2].id] is BookingStatus.BOOKED
    assert session.get(Course, courses[0].id) is None


def test_a_place_freed_after_late_joining_ended_is_not_given_to_the_waitlist(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Once the group is too far on to join, a freed place stays free and the queue waits."""
    courses, bookings, _ = _full_group_with_two_waiting(session, keyring, world, now)
    group = session.get_one(Group, world.group_a)
    too_late = group.sessions[group.late_join_until - 1].starts_at + timedelta(minutes=1)

    reservations.cancel(session, courses[0].id, bookings[0].id, now=too_late)

    statuses = _statuses(session, world.group_a)
    assert statuses[courses[2].id] is BookingStatus.WAITLISTED
    assert session.get_one(Group, world.group_a).places_taken == 1
