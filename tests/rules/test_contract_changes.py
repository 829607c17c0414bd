"""Contracts made and ended by coordinators and administrators, and what booking sees at once."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import catalogue, contracts, reservations
from service.core import errors
from service.core.clock import local_to_utc, local_today
from service.identity.actors import Actor
from service.models import AuditEvent, Booking, BookingStatus, Contract, SlotKind
from tests.rules.steps import request_course
from tests.support.world import HOME, NEIGHBOUR, World

AARHUS = "751"  # no contract in the standard world
ADMIN = Actor(kind="staff", id=uuid.uuid4())


def _coordinator(code: str) -> Actor:
    return Actor(kind="staff", id=uuid.uuid4(), municipality_code=code)


def _contract(session: Session, code: str, centre: uuid.UUID) -> Contract:
    return session.scalars(
        select(Contract).where(Contract.municipality_code == code, Contract.centre_id == centre)
    ).one()


def _offered(session: Session, code: str, now: datetime) -> list[uuid.UUID]:
    return [p.centre.id for p in catalogue.providers(session, code, now=now)]


def test_a_new_contract_can_be_booked_at_once(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Århus's coordinator contracts centre A from today: it is offered and booked at once."""
    coordinator = _coordinator(AARHUS)

    made = contracts.add(
        session,
        coordinator,
        municipality_code=AARHUS,
        centre_id=world.centre_a,
        valid_from=local_today(now),
        now=now,
    )
    course = request_course(session, keyring, world, now=now, home=AARHUS)

    assert (made.valid_from, made.valid_to) == (local_today(now), None)
    assert _offered(session, AARHUS, now) == [world.centre_a]
    assert course.home_municipality == AARHUS


def test_an_ended_contract_refuses_new_bookings_from_its_end_day_and_keeps_old_ones(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Ended from today: centre A is no longer offered nor bookable; an earlier booking stays."""
    earlier = request_course(session, keyring, world, now=now)
    contract = _contract(session, HOME, world.centre_a)

    contracts.end(session, ADMIN, contract.id, ends_on=local_today(now), confirmed=True, now=now)

    assert contract.valid_to == local_today(now) - timedelta(days=1)
    assert _offered(session, HOME, now) == [world.centre_b]
    with pytest.raises(errors.NotContracted):
        request_course(session, keyring, world, now=now, slot=world.intro_a[1])
    [intro] = session.scalars(select(Booking).where(Booking.course_id == earlier.id)).all()
    assert intro.status is BookingStatus.BOOKED


def test_an_end_in_the_future_refuses_talks_from_that_day(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Ended from the day of the third intro time: the first can be booked, the third cannot."""
    contract = _contract(session, HOME, world.centre_a)
    third = local_today(now + timedelta(days=3))
    contracts.end(session, ADMIN, contract.id, ends_on=third, confirmed=True, now=now)

    with pytest.raises(errors.NotContracted):
        request_course(session, keyring, world, now=now, slot=world.intro_a[2])
    course = request_course(session, keyring, world, now=now, slot=world.intro_a[0])

    assert course.centre_id == world.centre_a


def test_times_after_a_future_end_are_not_offered_to_that_municipality(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Ended from the third intro time's day: the citizen is offered only the times before it."""
    contract = _contract(session, HOME, world.centre_a)
    third = local_today(now + timedelta(days=3))
    contracts.end(session, ADMIN, contract.id, ends_on=third, confirmed=True, now=now)
    end = local_to_utc(third, time(0))

    offered = catalogue.free_slots(session, world.centre_a, SlotKind.INTRO, now=now, home=HOME)
    elsewhere = catalogue.free_slots(
        session, world.centre_a, SlotKind.INTRO, now=now, home=NEIGHBOUR
    )
    [provider] = [
        p for p in catalogue.providers(session, HOME, now=now) if p.centre.id == world.centre_a
    ]

    course = request_course(session, keyring, world, now=now, slot=world.intro_a[0])
    moving = catalogue.times_for(session, course, SlotKind.INTRO, now=now)

    assert offered, "the times before the end are offered"
    assert [slot.id for slot in moving] == [slot.id for slot in offered[1:]]
    assert all(slot.starts_at < end for slot in offered)
    assert any(slot.starts_at >= end for slot in elsewhere)
    assert provider.next_intro == offered[0].starts_at


def test_ending_the_last_outside_provider_asks_for_confirmation_and_saves_nothing(
    session: Session, world: World, now: datetime
) -> None:
    """København's only provider outside it is centre B: ending it is refused until confirmed."""
    contract = _contract(session, HOME, world.centre_b)
    ends_on = local_today(now) + timedelta(days=7)

    with pytest.raises(contracts.BreaksCompliance) as warned:
        contracts.end(
            session, _coordinator(HOME), contract.id, ends_on=ends_on, confirmed=False, now=now
        )

    assert warned.value.data == {
        "on": ends_on.isoformat(),
        "shortfalls": [{"code": HOME, "name": "København", "providers": 1, "outside": 0}],
    }
    assert contract.valid_to is None


def test_a_confirmed_end_is_saved_kept_in_the_history_and_audited(
    session: Session, world: World, now: datetime
) -> None:
    """Confirmed, the end is saved; the contract stays listed with its period, and is audited."""
    coordinator = _coordinator(HOME)
    contract = _contract(session, HOME, world.centre_b)

    contracts.end(
        session, coordinator, contract.id, ends_on=local_today(now), confirmed=True, now=now
    )

    listed = contracts.listing(session, coordinator, HOME)
    assert contract in listed
    assert contract.valid_to == local_today(now) - timedelta(days=1)
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_id == contract.id)).all()
    assert [(e.action, e.actor_id) for e in events] == [("contract.ended", coordinator.id)]


def test_ending_a_contract_that_leaves_compliance_intact_needs_no_confirmation(
    session: Session, world: World, now: datetime
) -> None:
    """With a third provider outside, ending centre B leaves København compliant: no warning."""
    contracts.add(
        session,
        ADMIN,
        municipality_code=HOME,
        centre_id=world.centre_c,
        valid_from=local_today(now),
        now=now,
    )
    contract = _contract(session, HOME, world.centre_b)

    contracts.end(session, ADMIN, contract.id, ends_on=local_today(now), confirmed=False, now=now)

    assert contract.valid_to is not None


@pytest.mark.parametrize(
    ("days_from_today", "refusal"),
    [(-1, contracts.StartInPast), (0, contracts.ContractOverlaps)],
)
def test_a_contract_starting_in_the_past_or_overlapping_is_refused(
    session: Session, world: World, now: datetime, days_from_today: int, refusal: type[Exception]
) -> None:
    """Yesterday is too early; a second contract with centre A while the first runs overlaps."""
    with pytest.raises(refusal) as refused:
        contracts.add(
            session,
            ADMIN,
            municipality_code=HOME,
            centre_id=world.centre_a,
            valid_from=local_today(now) + timedelta(days=days_from_today),
            now=now,
        )

    assert refused.value.data["field"] == "valid_from"  # type: ignore[attr-defined]
    assert len(contracts.listing(session, ADMIN, HOME)) == 2


def test_a_contract_after_an_ended_one_is_allowed_and_one_before_its_end_overlaps(
    session: Session, world: World, now: datetime
) -> None:
    """Ended from day 10, centre A may be contracted again from day 10, not from day 9."""
    contract = _contract(session, HOME, world.centre_a)
    day_10 = local_today(now) + timedelta(days=10)
    contracts.end(session, ADMIN, contract.id, ends_on=day_10, confirmed=True, now=now)

    with pytest.raises(contracts.ContractOverlaps):
        contracts.add(
            session,
            ADMIN,
            municipality_code=HOME,
            centre_id=world.centre_a,
            valid_from=day_10 - timedelta(days=1),
            now=now,
        )
    again = contracts.add(
        session, ADMIN, municipality_code=HOME, centre_id=world.centre_a, valid_from=day_10, now=now
    )

    assert again.valid_from == day_10


@pytest.mark.parametrize(
    ("ends_in_days", "refusal"),
    [
        (-1, contracts.EndInPast),
        (0, contracts.EndNotAfterStart),
        (5, contracts.AlreadyEnded),
    ],
)
def test_an_end_in_the_past_on_the_start_or_after_the_end_set_is_refused(
    session: Session, world: World, now: datetime, ends_in_days: int, refusal: type[Exception]
) -> None:
    """A contract from day 2 ending from day 4 cannot end yesterday, on day 2 or on day 7."""
    start = local_today(now) + timedelta(days=2)
    made = contracts.add(
        session,
        ADMIN,
        municipality_code=AARHUS,
        centre_id=world.centre_a,
        valid_from=start,
        now=now,
    )
    contracts.end(
        session, ADMIN, made.id, ends_on=start + timedelta(days=2), confirmed=True, now=now
    )
    day = local_today(now) if ends_in_days < 0 else start
    ends_on = day + timedelta(days=ends_in_days)

    with pytest.raises(refusal) as refused:
        contracts.end(session, ADMIN, made.id, ends_on=ends_on, confirmed=True, now=now)

    assert refused.value.data["field"] == "ends_on"  # type: ignore[attr-defined]
    assert made.valid_to == start + timedelta(days=1)


def test_another_municipality_or_a_centre_cannot_reach_the_contracts(
    session: Session, world: World, now: datetime, staff_a: Actor
) -> None:
    """Frederiksberg's coordinator and centre A's staff find København's contract missing."""
    contract = _contract(session, HOME, world.centre_a)

    for stranger in (_coordinator(NEIGHBOUR), staff_a):
        with pytest.raises(errors.NotFound):
            contracts.end(
                session, stranger, contract.id, ends_on=local_today(now), confirmed=True, now=now
            )
        with pytest.raises(errors.NotFound):
            contracts.add(
                session,
                stranger,
                municipality_code=HOME,
                centre_id=world.centre_c,
                valid_from=local_today(now),
                now=now,
            )
        with pytest.raises(errors.NotFound):
            contracts.listing(session, stranger, HOME)

    assert contract.valid_to is None


def test_a_coordinator_sees_its_own_standing_and_an_administrator_every_one(
    session: Session, world: World, now: datetime
) -> None:
    """København complies with two providers, one outside; the administrator sees all 98."""
    own = contracts.standings(session, _coordinator(HOME), on=local_today(now))
    every = contracts.standings(session, ADMIN, on=local_today(now))

    assert [(s.code, s.providers, s.outside, s.complies) for s in own] == [(HOME, 2, 1, True)]
    assert len(every) == 98
    assert {s.code for s in every if s.complies} == {HOME, NEIGHBOUR, "461"}


def test_a_new_contract_is_audited_as_its_maker(
    session: Session, world: World, now: datetime
) -> None:
    """The event names the coordinator, the contract and the centre."""
    coordinator = _coordinator(AARHUS)

    made = contracts.add(
        session,
        coordinator,
        municipality_code=AARHUS,
        centre_id=world.centre_b,
        valid_from=local_today(now),
        now=now,
    )

    [event] = session.scalars(select(AuditEvent).where(AuditEvent.object_id == made.id)).all()
    assert (event.action, event.actor_id, event.centre_id) == (
        "contract.created",
        coordinator.id,
        world.centre_b,
    )


def test_a_cancelled_intro_cannot_be_rebooked_after_the_end(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """A course made before the end keeps its booking, but a new intro after it is refused."""
    course = request_course(session, keyring, world, now=now)
    [intro] = course.bookings
    contract = _contract(session, HOME, world.centre_a)
    contracts.end(session, ADMIN, contract.id, ends_on=local_today(now), confirmed=True, now=now)
    reservations.cancel(session, course.id, intro.id, now=now)

    with pytest.raises(errors.NotContracted):
        reservations.book_slot(session, course.id, world.intro_a[1], now=now)


def test_an_end_can_be_brought_forward(session: Session, world: World, now: datetime) -> None:
    """A contract ending from day 9 can be made to end from day 4 instead."""
    contract = _contract(session, HOME, world.centre_a)
    day_9 = local_today(now) + timedelta(days=9)
    contracts.end(session, ADMIN, contract.id, ends_on=day_9, confirmed=True, now=now)

    contracts.end(
        session, ADMIN, contract.id, ends_on=day_9 - timedelta(days=5), confirmed=True, now=now
    )

    assert contract.valid_to == day_9 - timedelta(days=6)
