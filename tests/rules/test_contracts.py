"""Rule 5: the provider must be contracted by the citizen's home municipality on that date."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import catalogue, directory, reservations
from service.core import errors
from service.core.clock import local_today
from service.models import Booking, BookingStatus, Centre, Course, Slot
from tests.rules.steps import book_slot, request_course
from tests.support.world import ELSEWHERE, HOME, World, add_contract

# Aarhus: no contract in the standard world, so each test gives it the one it needs.
AARHUS = "751"


def _holders(session: Session, slot_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(Booking.course_id).where(
        Booking.slot_id == slot_id, Booking.status == BookingStatus.BOOKED
    )
    return list(session.scalars(query))


def test_a_contracted_provider_is_accepted(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A citizen of København may start a course at centre A, which København contracts."""

    course = request_course(session, keyring, world, now=now, home=HOME)

    assert (course.home_municipality, course.centre_id) == (HOME, world.centre_a)
    assert _holders(session, world.intro_a[0]) == [course.id]


def test_a_provider_the_home_municipality_does_not_contract_is_refused(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A citizen of Odense cannot start a course at centre A; nothing is written."""

    with pytest.raises(errors.NotContracted) as refused:
        request_course(session, keyring, world, now=now, home=ELSEWHERE)

    assert refused.value.data == {"municipality": ELSEWHERE, "on": local_today(now).isoformat()}
    assert session.scalars(select(Course)).all() == []
    assert _holders(session, world.intro_a[0]) == []


def test_a_contract_that_ends_before_the_talk_is_refused_for_that_day(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A contract valid today but ended before the talk's day does not cover that talk."""
    talk = session.get_one(Slot, world.intro_a[3])
    add_contract(
        session,
        AARHUS,
        session.get_one(Centre, world.centre_a),
        valid_from=local_today(now) - timedelta(days=30),
        valid_to=local_today(talk.starts_at) - timedelta(days=1),
    )

    with pytest.raises(errors.NotContracted) as refused:
        request_course(session, keyring, world, now=now, home=AARHUS, slot=talk.id)

    assert refused.value.data == {
        "municipality": AARHUS,
        "on": local_today(talk.starts_at).isoformat(),
    }
    assert session.scalars(select(Course)).all() == []


def test_a_contract_that_begins_after_today_does_not_cover_a_booking_made_today(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A contract that starts tomorrow refuses today's booking even for a talk it covers."""
    add_contract(
        session,
        AARHUS,
        session.get_one(Centre, world.centre_a),
        valid_from=local_today(now) + timedelta(days=1),
    )

    with pytest.raises(errors.NotContracted) as refused:
        request_course(session, keyring, world, now=now, home=AARHUS, slot=world.intro_a[3])

    assert refused.value.data == {"municipality": AARHUS, "on": local_today(now).isoformat()}


def test_a_contract_valid_on_both_days_covers_the_booking(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A contract from today to the talk's day, both included, is enough."""
    talk = session.get_one(Slot, world.intro_a[3])
    add_contract(
        session,
        AARHUS,
        session.get_one(Centre, world.centre_a),
        valid_from=local_today(now),
        valid_to=local_today(talk.starts_at),
    )

    course = request_course(session, keyring, world, now=now, home=AARHUS, slot=talk.id)

    assert _holders(session, talk.id) == [course.id]


def test_a_new_intro_is_checked_against_the_contract_on_its_own_day(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Moving the intro to a day after the contract ended is refused; the old slot stays free."""
    first_day = session.get_one(Slot, world.intro_a[0]).starts_at
    add_contract(
        session,
        AARHUS,
        session.get_one(Centre, world.centre_a),
        valid_from=local_today(now),
        valid_to=local_today(first_day),
    )
    course = request_course(session, keyring, world, now=now, home=AARHUS)
    [intro] = course.bookings
    reservations.cancel(session, course.id, intro.id, now=now)

    with pytest.raises(errors.NotContracted):
        book_slot(session, course.id, world.intro_a[3], now=now)

    assert _holders(session, world.intro_a[3]) == []
    assert _holders(session, world.intro_a[0]) == []


def test_an_unknown_home_municipality_is_refused_before_any_contract(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A code that names no municipality is refused with the field named."""

    with pytest.raises(errors.InvalidInput) as refused:
        request_course(session, keyring, world, now=now, home="999")

    assert refused.value.data == {"field": "home_municipality"}
    assert session.scalars(select(Course)).all() == []


def test_the_citizen_chooses_only_among_contracted_providers(
    session: Session, world: World, now: datetime
) -> None:
    """København's citizens are offered centres A and B; Odense's B and C."""

    offered = {
        code: [p.centre.id for p in catalogue.providers(session, code, now=now)]
        for code in (HOME, ELSEWHERE)
    }

    assert sorted(offered[HOME]) == sorted([world.centre_a, world.centre_b])
    assert sorted(offered[ELSEWHERE]) == sorted([world.centre_b, world.centre_c])
    assert directory.contracted_centres(session, AARHUS, on=local_today(now)) == []
