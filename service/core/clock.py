"""Time: stored in UTC, planned and shown in Europe/Copenhagen wall-clock time (SPEC rule 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.core.errors import NoSuchLocalTime, PatternIncomplete

LOCAL = ZoneInfo("Europe/Copenhagen")


def utcnow() -> datetime:
    """Return the current instant, timezone-aware."""
    return datetime.now(UTC)


def to_the_minute(instant: datetime) -> datetime:
    """Return the instant with its seconds and fractions cut off: how citizens' times are kept."""
    return instant.replace(second=0, microsecond=0)


def local_today(now: datetime) -> date:
    """Return the Copenhagen calendar date of an instant."""
    return now.astimezone(LOCAL).date()


def last_month_over(now: datetime) -> str:
    """Return the last Copenhagen calendar month that is over at ``now``, "YYYY-MM"."""
    this_month = local_today(now).replace(day=1)
    return (this_month - timedelta(days=1)).strftime("%Y-%m")


def local_to_utc(day: date, at: time) -> datetime:
    """Return the UTC instant of a Copenhagen wall-clock time, refusing times that do not exist.

    On the last Sunday of March 02:00-03:00 never happens; on the last Sunday
    of October 02:00-03:00 happens twice and the first (summer time) is meant.
    """
    local = datetime.combine(day, at, tzinfo=LOCAL)
    instant = local.astimezone(UTC)
    if instant.astimezone(LOCAL).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NoSuchLocalTime(
            f"{at:%H:%M} does not exist on {day.isoformat()} in Copenhagen (clock change).",
            field="start_time",
        )
    return instant


def weekly(
    *, first_day: date, weekdays: frozenset[int], start: time, minutes: int, weeks: int
) -> Iterator[tuple[datetime, datetime]]:
    """Yield (start, end) in UTC for each chosen weekday (0 = Monday) over a number of weeks.

    Each occurrence keeps its wall-clock time across daylight-saving changes:
    a Tuesday 17:00 session is at 17:00 in Copenhagen in March and in November.
    """
    if minutes <= 0 or weeks <= 0 or not weekdays or not weekdays <= set(range(7)):
        raise PatternIncomplete()
    for offset in range(weeks * 7):
        day = first_day + timedelta(days=offset)
        if day.weekday() in weekdays:
            begins = local_to_utc(day, start)
            yield begins, begins + timedelta(minutes=minutes)
