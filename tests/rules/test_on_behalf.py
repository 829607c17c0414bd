"""Staff acting for a phone caller go through the citizen's rules and locks, and are audited."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import crypto
from service.booking import on_behalf, reservations
from service.core import errors
from service.identity.actors import Actor
from service.models import (
    AuditEvent,
    Booking,
    BookingKind,
    BookingStatus,
    Centre,
    Group,
    SlotKind,
)
from tests.rules.racing import race
from tests.rules.steps import approved_courses, request_course
from tests.support.world import World, add_slot

# Half of them staff, half citizens; fewer than the engine's pool holds.
RACERS = 12


def _staff(world: World) -> Actor:
    return Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_a)


def test_a_reference_is_found_at_its_own_centre_only(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Read out in any case, with spaces: found at centre A, unknown at centre B."""
    course = request_course(session, keyring, world, now=now)
    typed = " " + course.reference.lower().replace("-", "  ") + " "
    other = Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_b)

    found = on_behalf.find_by_reference(session, _staff(world), typed)

    assert found.id == course.id
    with pytest.raises(errors.NotFound) as refused:
        on_behalf.find_by_reference(session, other, course.reference)
    assert refused.value.data == {"field": "reference"}
    with pytest.raises(errors.ReferenceMalformed):
        on_behalf.find_by_reference(session, _staff(world), "K7QM")


def test_another_centres_course_is_out_of_reach_for_every_step(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Centre B's staff cannot book, join or cancel for centre A's course: nothing is written."""
    course = request_course(session, keyring, world, now=now)
    other = Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_b)

    with pytest.raises(errors.NotFound):
        on_behalf.book_talk(session, other, course.id, world.intro_a[1], SlotKind.INTRO, now=now)
    with pytest.raises(errors.NotFound):
        on_behalf.join_group(session, other, course.id, world.group_a, now=now)
    with pytest.raises(errors.NotFound):
        on_behalf.cancel(session, other, course.id, BookingKind.INTRO, now=now)

    assert session.scalars(select(AuditEvent.action)).all() == []


def test_a_refused_move_keeps_the_booked_talk(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Moving the intro onto a held time is refused and undone: the old talk stays booked."""
    course = request_course(session, keyring, world, now=now)
    request_course(session, keyring, world, now=now, slot=world.intro_a[1])

    with pytest.raises(errors.SlotTaken):
        on_behalf.book_talk(
            session, _staff(world), course.id, world.intro_a[1], SlotKind.INTRO, now=now
        )

    session.expire_all()
    [intro] = session.get_one(type(course), course.id).bookings
    assert (intro.slot_id, intro.status) == (world.intro_a[0], BookingStatus.BOOKED)


def test_each_step_is_audited_as_done_for_the_caller(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Move, cancel, book again: one event each, on the course, by the staff member."""
    staff = _staff(world)
    course = request_course(session, keyring, world, now=now)

    on_behalf.book_talk(session, staff, course.id, world.intro_a[1], SlotKind.INTRO, now=now)
    on_behalf.cancel(session, staff, course.id, BookingKind.INTRO, now=now)
    on_behalf.book_talk(session, staff, course.id, world.intro_a[2], SlotKind.INTRO, now=now)

    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_id)
    ).all()
    # The three happen at the same instant here: compared as a set, not in order.
    assert sorted(tuple(e) for e in events) == sorted(
        [
            ("course.intro_moved_for_caller", staff.id, course.id),
            ("course.intro_cancelled_for_caller", staff.id, course.id),
            ("course.intro_booked_for_caller", staff.id, course.id),
        ]
    )


def test_staff_and_citizens_racing_for_two_places_book_exactly_two(
    rules_engine: Engine, keyring: crypto.Keyring, committed_world: World, now: datetime
) -> None:
    """Six joins by staff and six by citizens at once: two places booked, ten queued in order."""
    world = committed_world
    with Session(rules_engine, expire_on_commit=False) as session:
        courses, later = approved_courses(session, keyring, world, now=now, count=RACERS)
        session.commit()
    staff = _staff(world)

    def join(n: int, course_id: uuid.UUID) -> Callable[[Session], BookingStatus]:
        if n % 2:
            return lambda racer: (
                on_behalf.join_group(racer, staff, course_id, world.group_a, now=later).status
            )
        return lambda racer: (
            reservations.join_group(racer, course_id, world.group_a, now=later).status
        )

    answers = race(rules_engine, [join(n, course.id) for n, course in enumerate(courses)])

    assert Counter(answers) == {BookingStatus.BOOKED: 2, BookingStatus.WAITLISTED: RACERS - 2}
    with Session(rules_engine) as session:
        assert session.get_one(Group, world.group_a).places_taken == 2
        queue = session.scalars(
            select(Booking.queue_no)
            .where(Booking.group_id == world.group_a, Booking.status == BookingStatus.WAITLISTED)
            .order_by(Booking.queue_no)
        ).all()
        assert queue == list(range(1, RACERS - 2 + 1))


def test_staff_and_citizens_racing_for_one_time_leave_one_winner(
    rules_engine: Engine, keyring: crypto.Keyring, committed_world: World, now: datetime
) -> None:
    """Six moves by staff and six by citizens onto one intro time: one wins, the rest keep theirs.

    The moves go through the same locks, so no slot is held twice and no loser loses its time.
    """
    world = committed_world
    with Session(rules_engine, expire_on_commit=False) as session:
        centre = session.get_one(Centre, world.centre_a)
        own = [
            add_slot(session, centre, SlotKind.INTRO, now + timedelta(days=5, hours=n)).id
            for n in range(RACERS)
        ]
        courses = [request_course(session, keyring, world, now=now, slot=slot) for slot in own]
        session.commit()
    staff, wanted = _staff(world), world.intro_a[3]

    def move(n: int, course_id: uuid.UUID) -> Callable[[Session], uuid.UUID]:
        if n % 2:
            return lambda racer: (
                on_behalf.book_talk(racer, staff, course_id, wanted, SlotKind.INTRO, now=now).id
            )
        return lambda racer: (
            reservations.book_talk(racer, course_id, wanted, SlotKind.INTRO, now=now)[0].id
        )

    answers = race(rules_engine, [move(n, course.id) for n, course in enumerate(courses)])

    refusals = [a for a in answers if isinstance(a, errors.DomainError)]
    assert len(answers) - len(refusals) == 1
    assert {type(r) for r in refusals} == {errors.SlotTaken}
    with Session(rules_engine) as session:
        held = session.scalars(
            select(Booking.slot_id).where(
                Booking.kind == BookingKind.INTRO, Booking.status == BookingStatus.BOOKED
            )
        ).all()
        # The winner's old time was freed; every loser still holds its own.
        assert sorted(map(str, held)) == sorted(
            map(str, [wanted, *(slot for slot in own if slot not in _freed(session, own))])
        )
        assert len(held) == RACERS


def _freed(session: Session, own: list[uuid.UUID]) -> set[uuid.UUID]:
    """Return the racers' own times that a cancelled booking left free."""
    return set(
        session.scalars(
            select(Booking.slot_id).where(
                Booking.slot_id.in_(own), Booking.status == BookingStatus.CANCELLED
            )
        )
    )
