"""Rule 2: a slot is never booked twice; a token holds no overlapping bookings and one course."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, reservations
from service.core import errors
from service.models import Booking, BookingStatus, Centre, Course, Slot
from tests.rules.racing import race
from tests.rules.steps import approved_courses, book_slot, request_course
from tests.support.world import HOME, World, add_group

# Fewer than the engine's pool holds (10 + 10 overflow), so no racer waits for a connection.
RACERS = 12


def _holders(session: Session, slot_id: uuid.UUID) -> list[Booking]:
    query = select(Booking).where(
        Booking.slot_id == slot_id, Booking.status == BookingStatus.BOOKED
    )
    return list(session.scalars(query))


def test_a_booked_intro_slot_is_refused_to_a_second_course(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """The second course on the same intro slot is refused and leaves no course behind."""
    first = request_course(session, keyring, world, now=now)

    with pytest.raises(errors.SlotTaken) as refused:
        request_course(session, keyring, world, now=now)

    assert refused.value.data == {"field": "slot_id"}
    assert [b.course_id for b in _holders(session, world.intro_a[0])] == [first.id]
    assert session.scalars(select(Course.id)).all() == [first.id]


def test_a_slot_held_by_one_course_is_refused_to_another_booking_it_later(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A course moving its intro onto a slot another course holds is refused."""
    holder = request_course(session, keyring, world, now=now, slot=world.intro_a[0])
    mover = request_course(session, keyring, world, now=now, slot=world.intro_a[1])
    [intro] = mover.bookings
    reservations.cancel(session, mover.id, intro.id, now=now)

    with pytest.raises(errors.SlotTaken):
        book_slot(session, mover.id, world.intro_a[0], now=now)

    assert [b.course_id for b in _holders(session, world.intro_a[0])] == [holder.id]


def test_the_database_refuses_a_second_holder_of_a_slot(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """The partial unique index on held slots is the backstop should a rule ever miss one."""
    holder = request_course(session, keyring, world, now=now)
    [intro] = holder.bookings
    other = request_course(session, keyring, world, now=now, slot=world.intro_a[1])

    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Booking(
                course_id=other.id,
                kind=intro.kind,
                slot_id=intro.slot_id,
                status=BookingStatus.BOOKED,
                created_at=now,
            )
        )

    assert [b.course_id for b in _holders(session, world.intro_a[0])] == [holder.id]


def test_moving_the_intro_frees_the_old_slot(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A cancelled intro frees its slot for another course, and the new slot is held."""
    mover = request_course(session, keyring, world, now=now, slot=world.intro_a[0])
    [intro] = mover.bookings

    reservations.cancel(session, mover.id, intro.id, now=now)
    moved = book_slot(session, mover.id, world.intro_a[1], now=now)
    other = request_course(session, keyring, world, now=now, slot=world.intro_a[0])

    assert moved.status is BookingStatus.BOOKED
    assert [b.course_id for b in _holders(session, world.intro_a[1])] == [mover.id]
    assert [b.course_id for b in _holders(session, world.intro_a[0])] == [other.id]


def test_a_second_intro_is_refused_while_one_is_booked(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A course holds one intro at a time, and the slot asked for stays free."""
    course = request_course(session, keyring, world, now=now)

    with pytest.raises(errors.AlreadyBooked):
        book_slot(session, course.id, world.intro_a[1], now=now)

    assert _holders(session, world.intro_a[1]) == []


def test_a_token_never_holds_two_overlapping_bookings(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Joining a group whose session falls on the course's booked closing talk is refused."""
    [course], later = approved_courses(session, keyring, world, now=now, count=1)
    place = reservations.join_group(session, course.id, world.group_a, now=later)
    book_slot(session, course.id, world.closing_late_a, now=later)
    reservations.cancel(session, course.id, place.id, now=later)
    closing = session.get_one(Slot, world.closing_late_a)
    clashing = add_group(
        session,
        session.get_one(Centre, world.centre_a),
        first=closing.starts_at - timedelta(weeks=1, minutes=30),
        capacity=5,
    )

    with pytest.raises(errors.Overlap):
        reservations.join_group(session, course.id, clashing.id, now=later)

    assert session.scalars(select(Booking).where(Booking.group_id == clashing.id)).all() == []
    assert [b.course_id for b in _holders(session, world.closing_late_a)] == [course.id]


def test_a_token_opens_one_course_and_no_other_course_can_share_it(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A token is bound to the one course made with it; the database refuses a second."""
    token, course = pathway.create_course(
        session,
        keyring,
        home_municipality=HOME,
        centre_id=world.centre_a,
        intro_slot_id=world.intro_a[0],
        language="da",
        now=now,
    )

    found = pathway.course_for_token(session, keyring, token)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Course(
                reference=crypto.generate_reference(),
                token_digest=course.token_digest,
                token_key_version=course.token_key_version,
                centre_id=world.centre_b,
                home_municipality=HOME,
                status=course.status,
                requested_at=now,
            )
        )

    assert found.id == course.id
    assert session.scalars(select(Course.id)).all() == [course.id]


def test_racers_for_one_intro_slot_leave_exactly_one_holder(
    rules_engine: Engine, keyring: crypto.Keyring, committed_world: World, now: datetime
) -> None:
    """Twelve new courses on one intro slot at once: one is made, eleven are refused as taken."""
    world = committed_world

    def create(session: Session) -> uuid.UUID:
        course = request_course(session, keyring, world, now=now)
        return course.id

    answers = race(rules_engine, [create] * RACERS)

    made = [answer for answer in answers if isinstance(answer, uuid.UUID)]
    assert Counter(type(answer) for answer in answers) == {
        uuid.UUID: 1,
        errors.SlotTaken: RACERS - 1,
    }
    with Session(rules_engine) as session:
        assert [b.course_id for b in _holders(session, world.intro_a[0])] == made
        assert session.scalars(select(Course.id)).all() == made
