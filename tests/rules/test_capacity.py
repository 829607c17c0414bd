"""Rule 1: a group never has more booked places than its capacity."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import crypto
from service.booking import reservations, schedule
from service.core import errors
from service.identity.actors import Actor
from service.models import Booking, BookingStatus, Group
from tests.rules.racing import race
from tests.rules.steps import approved_courses
from tests.support.world import World

# Fewer than the engine's pool holds (10 + 10 overflow), so no racer waits for a connection.
RACERS = 12


def _booked(session: Session, group_id: uuid.UUID) -> int:
    query = select(func.count(Booking.id)).where(
        Booking.group_id == group_id, Booking.status == BookingStatus.BOOKED
    )
    return session.scalar(query) or 0


def test_a_group_books_places_up_to_its_capacity_and_no_further(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """With two places, the first two approved courses get one and the third does not."""
    courses, later = approved_courses(session, keyring, world, now=now, count=3)

    bookings = [
        reservations.join_group(session, course.id, world.group_a, now=later) for course in courses
    ]

    assert [b.status for b in bookings] == [
        BookingStatus.BOOKED,
        BookingStatus.BOOKED,
        BookingStatus.WAITLISTED,
    ]
    assert _booked(session, world.group_a) == 2
    assert session.get_one(Group, world.group_a).places_taken == 2


def test_the_database_refuses_more_places_taken_than_capacity(
    session: Session, world: World
) -> None:
    """The CHECK on places_taken is the backstop should a rule ever miscount."""
    group = session.get_one(Group, world.group_a)

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            update(Group).where(Group.id == group.id).values(places_taken=group.capacity + 1)
        )

    session.expire_all()
    assert session.get_one(Group, world.group_a).places_taken == 0


def test_capacity_cannot_go_below_the_booked_places(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime, staff_a: Actor
) -> None:
    """Lowering the capacity under the places already booked is refused and changes nothing."""
    courses, later = approved_courses(session, keyring, world, now=now, count=2)
    for course in courses:
        reservations.join_group(session, course.id, world.group_a, now=later)

    with pytest.raises(errors.CapacityTooLow) as refused:
        schedule.update_group(
            session, staff_a, world.group_a, capacity=1, intake_open=None, now=later
        )

    assert refused.value.data == {"booked": 2}
    session.expire_all()
    assert session.get_one(Group, world.group_a).capacity == 2


def test_capacity_must_be_at_least_one(session: Session, world: World, staff_a: Actor) -> None:
    """A group of no places is refused with the field named."""
    group = session.get_one(Group, world.group_a)

    with pytest.raises(errors.InvalidInput) as refused:
        schedule.update_group(
            session, staff_a, group.id, capacity=0, intake_open=None, now=group.created_at
        )

    assert refused.value.data == {"field": "capacity"}


def test_racers_for_two_places_book_exactly_two_and_queue_the_rest(
    rules_engine: Engine, keyring: crypto.Keyring, committed_world: World, now: datetime
) -> None:
    """Twelve approved courses join a group of two at once: two booked, ten queued in order."""
    world = committed_world
    with Session(rules_engine, expire_on_commit=False) as session:
        courses, later = approved_courses(session, keyring, world, now=now, count=RACERS)
        session.commit()

    def join(course_id: uuid.UUID) -> Callable[[Session], BookingStatus]:
        return lambda racer: (
            reservations.join_group(racer, course_id, world.group_a, now=later).status
        )

    answers = race(rules_engine, [join(course.id) for course in courses])

    assert Counter(answers) == {BookingStatus.BOOKED: 2, BookingStatus.WAITLISTED: RACERS - 2}
    with Session(rules_engine) as session:
        assert _booked(session, world.group_a) == 2
        assert session.get_one(Group, world.group_a).places_taken == 2
        queue = session.scalars(
            select(Booking.queue_no)
            .where(Booking.group_id == world.group_a, Booking.status == BookingStatus.WAITLISTED)
            .order_by(Booking.queue_no)
        ).all()
        assert queue == list(range(1, RACERS - 2 + 1))
