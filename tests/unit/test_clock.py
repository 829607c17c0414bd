"""Time rules: UTC stored, Copenhagen wall-clock planned, across the clock changes (SPEC rule 6)."""

from __future__ import annotations

from datetime import date, time

import pytest

from service.core.clock import LOCAL, local_to_utc, weekly
from service.core.errors import InvalidSchedule


@pytest.mark.parametrize(
    ("first_day", "change"),
    [(date(2027, 3, 16), date(2027, 3, 28)), (date(2026, 10, 13), date(2026, 10, 25))],
    ids=["march", "october"],
)
def test_a_weekly_tuesday_session_stays_at_17_across_the_clock_change(
    first_day: date, change: date
) -> None:
    """Four weekly Tuesday sessions straddling the change all begin at 17:00 local time."""

    sessions = list(
        weekly(first_day=first_day, weekdays=frozenset({1}), start=time(17), minutes=150, weeks=4)
    )

    local_starts = [start.astimezone(LOCAL) for start, _ in sessions]
    assert [s.time() for s in local_starts] == [time(17)] * 4
    assert all(s.weekday() == 1 for s in local_starts)
    offsets = {s.utcoffset() for s in local_starts}
    assert len(offsets) == 2, "the weeks must straddle a change of offset"
    assert any(s.date() < change for s in local_starts)
    assert any(s.date() > change for s in local_starts)
    utc_hours = [start.hour for start, _ in sessions]
    assert sorted(set(utc_hours)) == [15, 16]


def test_a_time_lost_in_the_spring_change_is_refused() -> None:
    """02:30 on the last Sunday of March does not exist in Copenhagen."""

    with pytest.raises(InvalidSchedule) as caught:
        local_to_utc(date(2027, 3, 28), time(2, 30))

    assert caught.value.data["field"] == "start_time"


def test_a_repeated_autumn_hour_means_the_first() -> None:
    """02:30 on the last Sunday of October happens twice; summer time (UTC+2) is meant."""

    instant = local_to_utc(date(2026, 10, 25), time(2, 30))

    assert instant.hour == 0


@pytest.mark.parametrize(
    "arguments",
    [
        {"weekdays": frozenset(), "minutes": 60, "weeks": 1},
        {"weekdays": frozenset({7}), "minutes": 60, "weeks": 1},
        {"weekdays": frozenset({1}), "minutes": 0, "weeks": 1},
        {"weekdays": frozenset({1}), "minutes": 60, "weeks": 0},
    ],
)
def test_a_weekly_pattern_without_substance_is_refused(arguments: dict[str, object]) -> None:
    """A pattern needs weekdays 0-6, a positive length and at least one week."""

    with pytest.raises(InvalidSchedule):
        list(weekly(first_day=date(2026, 12, 1), start=time(17), **arguments))  # type: ignore[arg-type]
