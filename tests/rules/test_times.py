"""Rule 6: times are stored in UTC and planned, dated and counted in Copenhagen time.

The weeks of the March and October clock changes are the cases that matter:
a weekly session keeps its wall-clock time across them, and a talk just after
local midnight falls on the Copenhagen date, not the UTC one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, schedule
from service.core import errors
from service.core.clock import LOCAL, weekly
from service.identity.actors import Actor
from service.models import Centre, GroupSession, Slot, SlotKind, Tally
from tests.support.world import World, add_contract, add_slot

# Aarhus: no contract in the standard world, so each test gives it the one it needs.
AARHUS = "751"
# The Tuesday of each change week's first session, and the Sunday the clocks change.
CHANGE_WEEKS = [
    pytest.param(date(2027, 3, 16), date(2027, 3, 28), id="march"),
    pytest.param(date(2026, 10, 13), date(2026, 10, 25), id="october"),
]
CHANGE_SUNDAYS = [
    pytest.param(date(2027, 3, 28), id="march"),
    pytest.param(date(2026, 10, 25), id="october"),
]


def _stored(session: Session, table: str, row_id: uuid.UUID) -> datetime:
    """Return a row's starts_at as the database holds it, read past the model's column type."""
    # A fixed table name from the test itself, not input: the id is a bound parameter.
    query = text(f"SELECT starts_at FROM {table} WHERE id = :id")  # noqa: S608
    raw = session.execute(query, {"id": row_id.hex if _is_sqlite(session) else row_id}).scalar()
    if isinstance(raw, str):
        # SQLite keeps the text of the instant without an offset: it must be the UTC one.
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    assert isinstance(raw, datetime)
    return raw


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def test_a_slot_planned_in_copenhagen_time_is_stored_as_its_utc_instant(
    session: Session, world: World, staff_a: Actor
) -> None:
    """A talk at 09:00 Copenhagen summer time is kept as 07:00 UTC and read back in UTC."""
    start = datetime(2027, 3, 29, 9, tzinfo=LOCAL)

    [slot] = schedule.add_slots(
        session,
        staff_a,
        world.centre_a,
        SlotKind.INTRO,
        [(start, start + timedelta(minutes=45))],
        now=datetime(2027, 3, 1, tzinfo=UTC),
    )

    session.expire_all()
    read = session.get_one(Slot, slot.id).starts_at
    assert read.tzinfo is UTC
    assert read == datetime(2027, 3, 29, 7, tzinfo=UTC)
    assert _stored(session, "slots", slot.id) == datetime(2027, 3, 29, 7, tzinfo=UTC)


def test_a_time_without_a_zone_is_never_stored(session: Session, world: World) -> None:
    """A naive datetime is refused on its way to the database, not guessed at."""
    naive = datetime(2027, 3, 29, 9)  # noqa: DTZ001 - the naive value is the point
    before = session.scalars(select(Slot.id).where(Slot.centre_id == world.centre_a)).all()
    slot = Slot(
        centre_id=world.centre_a,
        kind=SlotKind.INTRO,
        starts_at=naive,
        ends_at=naive + timedelta(minutes=45),
        created_at=datetime(2027, 3, 1, tzinfo=UTC),
    )

    with pytest.raises(StatementError) as refused, session.begin_nested():
        session.add(slot)

    assert isinstance(refused.value.orig, ValueError)
    after = session.scalars(select(Slot.id).where(Slot.centre_id == world.centre_a)).all()
    assert sorted(after) == sorted(before)


@pytest.mark.parametrize(("first_day", "change"), CHANGE_WEEKS)
def test_a_weekly_group_keeps_its_wall_clock_time_across_the_clock_change(
    session: Session, world: World, staff_a: Actor, first_day: date, change: date
) -> None:
    """Four Tuesday 17:00 sessions straddling the change stay at 17:00 in Copenhagen."""
    sessions = list(
        weekly(first_day=first_day, weekdays=frozenset({1}), start=time(17), minutes=150, weeks=4)
    )

    group = schedule.add_group(
        session,
        staff_a,
        world.centre_a,
        name="Tirsdagsgruppe",
        capacity=8,
        intake_open=True,
        late_join_until=2,
        sessions=sessions,
        now=datetime.combine(first_day, time(), tzinfo=UTC) - timedelta(days=7),
    )

    session.expire_all()
    stored = session.scalars(
        select(GroupSession).where(GroupSession.group_id == group.id).order_by(GroupSession.number)
    ).all()
    local = [each.starts_at.astimezone(LOCAL) for each in stored]
    assert [each.time() for each in local] == [time(17)] * 4
    assert [each.starts_at.tzinfo for each in stored] == [UTC] * 4
    assert len({each.utcoffset() for each in local}) == 2
    assert any(each.date() < change for each in local)
    assert any(each.date() > change for each in local)
    assert all(_stored(session, "group_sessions", each.id) == each.starts_at for each in stored)


@pytest.mark.parametrize("change", CHANGE_SUNDAYS)
def test_a_talk_just_after_local_midnight_falls_on_its_copenhagen_date(
    session: Session, keyring: crypto.Keyring, world: World, change: date
) -> None:
    """At 00:30 on the change Sunday it is still Saturday in UTC; the contract's day is Sunday."""
    centre = session.get_one(Centre, world.centre_a)
    talk = add_slot(
        session, centre, SlotKind.INTRO, datetime.combine(change, time(0, 30), tzinfo=LOCAL)
    )
    saturday = change - timedelta(days=1)
    add_contract(session, AARHUS, centre, valid_from=change - timedelta(days=60), valid_to=saturday)
    assert talk.starts_at.astimezone(UTC).date() == saturday

    with pytest.raises(errors.NotContracted) as refused:
        pathway.create_course(
            session,
            keyring,
            home_municipality=AARHUS,
            centre_id=world.centre_a,
            intro_slot_id=talk.id,
            language="da",
            now=datetime.combine(change - timedelta(days=3), time(12), tzinfo=UTC),
        )

    assert refused.value.data == {"municipality": AARHUS, "on": change.isoformat()}


@pytest.mark.parametrize("change", CHANGE_SUNDAYS)
def test_a_request_is_counted_in_its_copenhagen_month(
    session: Session, keyring: crypto.Keyring, world: World, change: date
) -> None:
    """A request at 00:30 on the first of a month, Copenhagen time, counts in that month."""
    centre = session.get_one(Centre, world.centre_a)
    first_of_month = (change.replace(day=1) + timedelta(days=32)).replace(day=1)
    requested = datetime.combine(first_of_month, time(0, 30), tzinfo=LOCAL)
    talk = add_slot(session, centre, SlotKind.INTRO, requested + timedelta(days=2))
    add_contract(session, AARHUS, centre, valid_from=change - timedelta(days=60))

    pathway.create_course(
        session,
        keyring,
        home_municipality=AARHUS,
        centre_id=world.centre_a,
        intro_slot_id=talk.id,
        language="da",
        now=requested.astimezone(UTC),
    )

    months = session.scalars(
        select(Tally.month).where(Tally.home_municipality == AARHUS, Tally.metric == "requested")
    ).all()
    assert requested.astimezone(UTC).month != first_of_month.month
    assert months == [first_of_month.strftime("%Y-%m")]
