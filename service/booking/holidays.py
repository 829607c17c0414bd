"""The days a centre is closed: Danish public holidays and the three days centres also close.

The calendar is the maintained ``holidays`` package (its ``Denmark``, read
through ``country_holidays("DK")``), not a list kept here. Its ``public``
category holds the official holidays (helligdage) that the law and
collective agreements close workplaces on. Its
``optional`` category adds four days that are not public holidays but that
many workplaces give off; centres close on three of them, which are taken
here by date: juleaftensdag (24 December), nytårsaftensdag (31 December)
and grundlovsdag (5 June, half a day by most agreements, closed at the
centres). Arbejdernes kampdag (1 May) is left out: whether it is a day off
depends on the agreement, and centres keep their groups on it.

Names are Danish, as the package gives them with ``language="da"``, for the
staff pages. A planned time counts as on a holiday when its Copenhagen start
date is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from holidays import country_holidays

from service.core.clock import LOCAL

# The optional days centres close on, by (month, day); see the module docstring.
ALSO_CLOSED = frozenset({(12, 24), (12, 31), (6, 5)})

Interval = tuple[datetime, datetime]


class Skipped(NamedTuple):
    """A planned time left out because its date is a holiday, with the holiday's Danish name."""

    starts_at: datetime
    name: str


@lru_cache(maxsize=64)
def _closed_in(year: int) -> dict[date, str]:
    """Return the closed days of one year with their Danish names."""
    public = country_holidays("DK", years=year, language="da")
    optional = country_holidays("DK", years=year, language="da", categories=("optional",))
    closed = {day: str(name) for day, name in public.items()}
    for day, name in optional.items():
        if (day.month, day.day) in ALSO_CLOSED:
            closed[day] = str(name)
    return closed


def closed_days(years: Iterable[int]) -> dict[date, str]:
    """Return every day centres close on in the given years, with its Danish name."""
    found: dict[date, str] = {}
    for year in years:
        found.update(_closed_in(year))
    return dict(sorted(found.items()))


def holiday_on(day: date) -> str | None:
    """Return the Danish name of the holiday on a date, or None on an ordinary day."""
    return _closed_in(day.year).get(day)


def holiday_at(instant: datetime) -> str | None:
    """Return the Danish name of the holiday on an instant's Copenhagen date, or None."""
    return holiday_on(instant.astimezone(LOCAL).date())


def without_holidays(times: Sequence[Interval]) -> tuple[list[Interval], list[Skipped]]:
    """Split planned times into those on ordinary days and those skipped for a holiday."""
    kept: list[Interval] = []
    skipped: list[Skipped] = []
    for start, end in times:
        name = holiday_at(start)
        if name is None:
            kept.append((start, end))
        else:
            skipped.append(Skipped(start, name))
    return kept, skipped
