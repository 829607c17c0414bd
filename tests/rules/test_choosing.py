"""What a citizen chooses from: places in a fair order, the soonest time, days and their times."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from service.booking import catalogue
from service.core.clock import local_to_utc, local_today, weekly
from service.models import Centre, Group, GroupSession, SlotKind
from tests.support.world import HOME, World, add_slot

DAY = timedelta(days=1)


def _first_names(session: Session, now: datetime, draws: int) -> list[str]:
    return [
        catalogue.providers(session, HOME, now=now, draw=random.Random(seed))[0].centre.name
        for seed in range(draws)
    ]


def test_places_free_equally_soon_take_turns_at_the_top(
    session: Session, world: World, now: datetime
) -> None:
    """Centres A and B have their first free talk at the same minute: each comes first in turn."""
    firsts = _first_names(session, now, draws=40)

    assert set(firsts) == {"Centre A", "Centre B"}
    assert 10 <= firsts.count("Centre B") <= 30


def test_the_place_that_can_see_you_sooner_is_first_whatever_the_draw(
    session: Session, world: World, now: datetime
) -> None:
    """An earlier free talk at Centre B puts it first in every draw, and the soonest is its time."""
    earlier = add_slot(
        session, session.get_one(Centre, world.centre_b), SlotKind.INTRO, now + DAY / 2
    )

    firsts = _first_names(session, now, draws=10)
    listed = catalogue.providers(session, HOME, now=now)
    first = catalogue.soonest(listed)

    assert firsts == ["Centre B"] * 10
    assert first is not None
    assert first.next_slot is not None
    assert (first.centre.name, first.next_slot.id) == ("Centre B", earlier.id)


def test_the_soonest_skips_places_without_a_free_time(
    session: Session, world: World, now: datetime
) -> None:
    """With no free time at Centre B, the soonest is Centre A's first, wherever B is listed."""
    listed = catalogue.providers(session, HOME, now=now + 2 * DAY)

    first = catalogue.soonest(listed)

    assert [p.centre.name for p in listed] == ["Centre A", "Centre B"]
    assert listed[1].next_slot is None
    assert first is not None
    assert first.next_slot is not None
    assert first.next_slot.id == world.intro_a[2]


def test_free_times_are_grouped_by_their_day_in_copenhagen(
    session: Session, world: World, now: datetime
) -> None:
    """A talk at 00:30 belongs to its Copenhagen day, which lists it with that day's other times."""
    centre = session.get_one(Centre, world.centre_a)
    on = local_today(now) + 10 * DAY
    late = add_slot(session, centre, SlotKind.INTRO, local_to_utc(on, time(0, 30)))
    morning = add_slot(session, centre, SlotKind.INTRO, local_to_utc(on, time(10)))

    days = catalogue.free_days(session, world.centre_a, SlotKind.INTRO, now=now, home=HOME)
    that_day = catalogue.free_slots(session, world.centre_a, SlotKind.INTRO, now=now, on=on)
    day_before = catalogue.free_slots(session, world.centre_a, SlotKind.INTRO, now=now, on=on - DAY)

    assert [d.on for d in days] == sorted(d.on for d in days)
    assert catalogue.Day(on, 2) in days
    assert len(days) == 5
    assert [s.id for s in that_day] == [late.id, morning.id]
    assert late.id not in [s.id for s in day_before]


def test_the_days_listed_stop_at_a_few_weeks(session: Session, world: World, now: datetime) -> None:
    """Forty days of free times list the first DAY_PAGE of them; a later day still has its times."""
    centre = session.get_one(Centre, world.centre_a)
    start = local_today(now) + 10 * DAY
    for n in range(40):
        add_slot(session, centre, SlotKind.INTRO, local_to_utc(start + n * DAY, time(9)))

    days = catalogue.free_days(session, world.centre_a, SlotKind.INTRO, now=now, home=HOME)
    last = catalogue.free_slots(
        session, world.centre_a, SlotKind.INTRO, now=now, on=start + 39 * DAY
    )

    assert len(days) == catalogue.DAY_PAGE
    assert days[0].on == local_today(now + DAY)
    assert len(last) == 1


def test_a_group_meets_on_its_weekday_at_the_same_hour_across_the_clock_change(
    session: Session, world: World, now: datetime
) -> None:
    """Weekly Tuesday meetings at 17:00 from before to after a clock change are one weekday line."""
    # 2027-03-23 and 2027-03-30 lie on either side of the change to summer time (28 March).
    tuesday = date(2027, 3, 16)
    meetings = weekly(
        first_day=tuesday, weekdays=frozenset({1}), start=time(17), minutes=150, weeks=4
    )
    group = Group(
        centre_id=world.centre_a,
        name="Tirsdag",
        capacity=8,
        intake_open=True,
        late_join_until=2,
        created_at=now,
        sessions=[
            GroupSession(number=n + 1, starts_at=begins, ends_at=ends)
            for n, (begins, ends) in enumerate(meetings)
        ],
    )
    session.add(group)
    session.flush()

    times = catalogue.meeting_times(group, now=local_to_utc(tuesday - DAY, time(12)))

    assert times == [catalogue.Weekly(1, time(17), time(19, 30))]
