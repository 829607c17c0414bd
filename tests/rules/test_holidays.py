"""Holidays in planning: weekly patterns skip the days centres close on, and a session moves
onto one only when staff confirm it; the agenda's day and week name them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.booking import day as agenda
from service.booking import holidays, schedule
from service.core import errors
from service.core.clock import LOCAL, local_to_utc, weekly
from service.identity.actors import Actor
from service.models import AuditEvent, Group, GroupSession, Slot, SlotKind
from tests.support.world import World

# Every day centres close on in 2026 and 2027, with the Danish name staff read: the public
# holidays of holidays.Denmark and the three optional days centres also close on.
CLOSED = [
    (date(2026, 1, 1), "Nytårsdag"),
    (date(2026, 4, 2), "Skærtorsdag"),
    (date(2026, 4, 3), "Langfredag"),
    (date(2026, 4, 5), "Påskedag"),
    (date(2026, 4, 6), "Anden påskedag"),
    (date(2026, 5, 14), "Kristi himmelfartsdag"),
    (date(2026, 5, 24), "Pinsedag"),
    (date(2026, 5, 25), "Anden pinsedag"),
    (date(2026, 6, 5), "Grundlovsdag"),
    (date(2026, 12, 24), "Juleaftensdag"),
    (date(2026, 12, 25), "Juledag"),
    (date(2026, 12, 26), "Anden juledag"),
    (date(2026, 12, 31), "Nytårsaften"),
    (date(2027, 1, 1), "Nytårsdag"),
    (date(2027, 3, 25), "Skærtorsdag"),
    (date(2027, 3, 26), "Langfredag"),
    (date(2027, 3, 28), "Påskedag"),
    (date(2027, 3, 29), "Anden påskedag"),
    (date(2027, 5, 6), "Kristi himmelfartsdag"),
    (date(2027, 5, 16), "Pinsedag"),
    (date(2027, 5, 17), "Anden pinsedag"),
    (date(2027, 6, 5), "Grundlovsdag"),
    (date(2027, 12, 24), "Juleaftensdag"),
    (date(2027, 12, 25), "Juledag"),
    (date(2027, 12, 26), "Anden juledag"),
    (date(2027, 12, 31), "Nytårsaften"),
]

# Planning "as of" a day before every date above, so that no time lies in the past.
BEFORE = datetime(2025, 6, 1, tzinfo=UTC)


def test_the_closed_days_of_2026_and_2027_are_exactly_the_listed_ones() -> None:
    """The calendar holds the public holidays plus juleaften, nytårsaften and grundlovsdag."""
    assert holidays.closed_days([2026, 2027]) == dict(CLOSED)


@pytest.mark.parametrize(("closed", "name"), CLOSED, ids=[str(day) for day, _ in CLOSED])
def test_a_weekly_pattern_across_a_holiday_skips_it(
    session: Session, world: World, staff_a: Actor, closed: date, name: str
) -> None:
    """Three weeks on the holiday's weekday, the holiday in the middle: no slot on it, and the
    skipped time is named."""
    times = list(
        weekly(
            first_day=closed - timedelta(days=7),
            weekdays=frozenset({closed.weekday()}),
            start=time(10),
            minutes=45,
            weeks=3,
        )
    )

    kept, skipped = holidays.without_holidays(times)
    created = schedule.add_slots(session, staff_a, world.centre_a, SlotKind.INTRO, kept, now=BEFORE)

    on_the_day = local_to_utc(closed, time(10))
    assert (on_the_day, name) in skipped
    assert on_the_day not in {slot.starts_at for slot in created}
    assert session.scalar(select(Slot).where(Slot.starts_at == on_the_day)) is None
    assert len(created) + len(skipped) == 3


def test_ordinary_days_and_the_first_of_may_are_not_closed() -> None:
    """Arbejdernes kampdag and an ordinary Tuesday are planned like any day."""
    assert holidays.holiday_on(date(2026, 5, 1)) is None
    assert holidays.holiday_on(date(2026, 12, 8)) is None
    assert holidays.holiday_at(datetime(2026, 12, 23, 23, 30, tzinfo=UTC)) == "Juleaftensdag"


def _next_christmas_eve(now: datetime) -> date:
    """Return the next 24 December that is at least two days away."""
    today = now.astimezone(LOCAL).date()
    this_year = date(today.year, 12, 24)
    return this_year if this_year - today >= timedelta(days=2) else date(today.year + 1, 12, 24)


def test_a_session_moves_onto_a_holiday_only_when_confirmed(
    session: Session, world: World, staff_a: Actor, now: datetime
) -> None:
    """Without the confirmation the move is refused and nothing moves; with it the session
    moves and the move is audited."""
    meeting = session.get_one(Group, world.group_a).sessions[1]
    before = meeting.starts_at
    start = local_to_utc(_next_christmas_eve(now), time(10))
    end = start + timedelta(minutes=150)

    with pytest.raises(errors.MeetingOnHoliday) as refused:
        schedule.move_session(
            session, staff_a, world.group_a, meeting.id, starts_at=start, ends_at=end, now=now
        )
    unmoved = session.get_one(GroupSession, meeting.id).starts_at
    moved = schedule.move_session(
        session,
        staff_a,
        world.group_a,
        meeting.id,
        starts_at=start,
        ends_at=end,
        now=now,
        onto_holiday=True,
    )

    assert refused.value.data["holiday"] == "Juleaftensdag"
    assert unmoved == before
    assert moved.starts_at == start
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "group_session.moved"))
    assert event is not None
    assert (event.object_id, event.centre_id) == (meeting.id, world.centre_a)


def test_a_session_does_not_move_onto_another_of_its_group_or_into_the_past(
    session: Session, world: World, staff_a: Actor, now: datetime
) -> None:
    """Onto the time of the group's next session, or yesterday: refused, and nothing moves."""
    sessions = session.get_one(Group, world.group_a).sessions
    meeting, other = sessions[1], sessions[2]
    yesterday = now - timedelta(days=1)

    with pytest.raises(errors.SessionsOverlap):
        schedule.move_session(
            session,
            staff_a,
            world.group_a,
            meeting.id,
            starts_at=other.starts_at + timedelta(minutes=30),
            ends_at=other.ends_at + timedelta(minutes=30),
            now=now,
            onto_holiday=True,
        )
    with pytest.raises(errors.TimeInPast):
        schedule.move_session(
            session,
            staff_a,
            world.group_a,
            meeting.id,
            starts_at=yesterday,
            ends_at=yesterday + timedelta(hours=2),
            now=now,
            onto_holiday=True,
        )

    assert session.get_one(GroupSession, meeting.id).starts_at == meeting.starts_at


def test_the_week_lists_seven_days_from_monday_with_slots_meetings_and_holidays(
    session: Session, world: World, staff_a: Actor, now: datetime
) -> None:
    """The week of the group's first session: Monday to Sunday, the session on its day, each
    slot of the week on its own day, and a holiday named on its date."""
    first = session.get_one(Group, world.group_a).sessions[0]
    on = first.starts_at.astimezone(LOCAL).date()
    monday = agenda.monday_of(on)

    week = agenda.centre_week(session, staff_a, monday)
    christmas = agenda.centre_week(session, staff_a, agenda.monday_of(date(2027, 12, 24)))

    assert [day.on for day in week] == [monday + timedelta(days=n) for n in range(7)]
    assert [day.on.weekday() for day in week] == list(range(7))
    found = {day.on: [m.session.id for m in day.meetings] for day in week}
    assert found[on] == [first.id]
    for day in week:
        assert all(s.slot.starts_at.astimezone(LOCAL).date() == day.on for s in day.slots)
    assert {day.on: day.holiday for day in christmas}[date(2027, 12, 24)] == "Juleaftensdag"
    assert {day.on: day.holiday for day in christmas}[date(2027, 12, 23)] is None


def test_the_day_view_of_tomorrow_holds_tomorrows_meetings_only(
    session: Session, world: World, staff_a: Actor, now: datetime
) -> None:
    """The group's first session, moved to tomorrow, is on tomorrow's day and not today's."""
    tomorrow = now.astimezone(LOCAL).date() + timedelta(days=1)
    meeting = session.get_one(Group, world.group_a).sessions[0]
    meeting.starts_at = local_to_utc(tomorrow, time(17))
    meeting.ends_at = meeting.starts_at + timedelta(minutes=150)
    session.flush()

    today_view = agenda.centre_day(session, staff_a, tomorrow - timedelta(days=1))
    tomorrow_view = agenda.centre_day(session, staff_a, tomorrow)

    assert meeting.id not in [m.session.id for m in today_view.meetings]
    assert [m.session.id for m in tomorrow_view.meetings] == [meeting.id]
