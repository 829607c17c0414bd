"""The staff listings are rules that take an Actor: its reach decides what they return."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import day as agenda
from service.booking import pathway, reach
from service.core.clock import local_today
from service.core.errors import NotFound
from service.identity import accounts, audit
from service.identity.accounts import actor_of
from service.identity.actors import SYSTEM, Actor
from service.models import AuditEvent, Group, Slot
from tests.support.staff import Staff, make_staff
from tests.support.world import HOME, World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _events(session: Session, world: World) -> None:
    now = datetime.now(UTC)
    for centre in (world.centre_a, world.centre_b, None):
        audit.record(
            session,
            SYSTEM,
            "group.updated",
            object_type="group",
            object_id=None,
            centre_id=centre,
            now=now,
        )
    session.commit()


def test_a_centre_actor_lists_its_own_centres_accounts_and_an_administrator_every_one(
    session: Session, staff: Staff
) -> None:
    """A centre's reach is its staff and centre admins; an administrator's is every account."""
    own = accounts.within_reach(session, actor_of(staff["admin_a"]))
    every = accounts.within_reach(session, actor_of(staff["admin"]))

    assert sorted(row.account.username for row in own) == ["admin.a", "staff.a"]
    assert {row.account.username for row in every} == {a.username for a in staff.accounts.values()}
    assert accounts.within_reach(session, actor_of(staff["coordinator"])) == []


def test_the_audit_trail_of_a_centre_actor_holds_only_its_centres_events(
    session: Session, world: World, staff: Staff
) -> None:
    """A centre sees its own events; an administrator all; a municipality none of them."""
    _events(session, world)

    own = audit.trail(session, actor_of(staff["admin_a"]), 1)
    every = audit.trail(session, actor_of(staff["admin"]), 1)

    assert {event.centre_id for event in own.events} == {world.centre_a}
    assert {event.centre_id for event in every.events} == {world.centre_a, world.centre_b, None}
    with pytest.raises(NotFound):
        audit.trail(session, Actor(kind="staff", id=None, municipality_code=HOME), 1)


def test_the_day_of_an_actor_without_a_centre_does_not_exist(
    session: Session, world: World
) -> None:
    """The day view's rule refuses an actor bound to no centre, as if the page were missing."""
    today = datetime.now(UTC).date()
    assert agenda.centre_day(session, Actor(kind="staff", id=None, centre_id=world.centre_a), today)
    with pytest.raises(NotFound):
        agenda.centre_day(session, Actor(kind="staff", id=None, municipality_code=HOME), today)


def test_a_centres_day_lists_its_booked_talks_and_group_sessions_not_another_centres(
    session: Session, world: World, keyring: crypto.Keyring
) -> None:
    """The talks of the day by course reference, and the group sessions, only at the own centre."""
    now = datetime.now(UTC)
    _, course = pathway.create_course(
        session,
        keyring,
        home_municipality=HOME,
        centre_id=world.centre_a,
        intro_slot_id=world.intro_a[0],
        language="da",
        now=now,
    )
    session.commit()
    talk_day = local_today(session.get_one(Slot, world.intro_a[0]).starts_at)
    group = session.get_one(Group, world.group_a)
    meeting_day = local_today(group.sessions[0].starts_at)
    own = Actor(kind="staff", id=None, centre_id=world.centre_a)
    other = Actor(kind="staff", id=None, centre_id=world.centre_b)

    talks = agenda.centre_day(session, own, talk_day).talks
    meetings = agenda.centre_day(session, own, meeting_day).meetings

    assert [(t.reference, t.course_id) for t in talks] == [(course.reference, course.id)]
    assert [m.group.id for m in meetings] == [world.group_a]
    assert agenda.centre_day(session, other, talk_day).talks == []


def test_booking_for_a_caller_is_audited_by_the_rule_at_the_actors_centre(
    session: Session, world: World, keyring: crypto.Keyring, staff: Staff
) -> None:
    """The phone booking's rule books at the actor's centre and writes its own audit event."""
    actor = actor_of(staff["staff_a"])

    _, course = pathway.book_for_caller(
        session,
        keyring,
        actor,
        home_municipality=HOME,
        intro_slot_id=world.intro_a[0],
        now=datetime.now(UTC),
    )

    events = session.scalars(select(AuditEvent).where(AuditEvent.object_id == course.id)).all()
    assert course.centre_id == world.centre_a
    assert [(e.action, e.actor_id) for e in events] == [("course.booked_for_caller", actor.id)]
    with pytest.raises(NotFound):
        pathway.book_for_caller(
            session,
            keyring,
            actor_of(staff["coordinator"]),
            home_municipality=HOME,
            intro_slot_id=world.intro_a[1],
            now=datetime.now(UTC),
        )


def test_a_centres_own_group_and_slot_are_found_and_another_centres_look_missing(
    session: Session, world: World
) -> None:
    """reach.own returns an object of the actor's centre and refuses another's as NotFound."""
    own = Actor(kind="staff", id=None, centre_id=world.centre_a)

    assert reach.own(session, own, Group, world.group_a).id == world.group_a
    assert reach.own(session, own, Slot, world.intro_a[0]).id == world.intro_a[0]
    with pytest.raises(NotFound):
        reach.own(session, own, Group, world.group_b)
    with pytest.raises(NotFound):
        reach.own(session, own, Slot, world.intro_b)
