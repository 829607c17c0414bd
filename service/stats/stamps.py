"""Stamps of the data a statistics report is computed from, read without reading the rows.

A report reads the tallies of whole years up to the horizon, the waiting
times of its months and the centres' names and places (the municipalities
are fixed). A count only ever grows and no tally is ever deleted, so each
table's number of rows and total, month by month, change with every write:
with the centres they tell a kept answer or part (``service.stats.answers``,
``service.stats.parts``) from a stale one.

A count is only ever added to the month it happens in (``month_of(now)``),
so a month before the horizon's, over for a month and more, does not
change: the purge counts it once into ``stats_months`` (``count_months``),
and a stamp reads it there. Only the horizon's month, or one the purge has
not counted yet, is counted from its rows on each request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Select, Table, func, literal, select, union_all
from sqlalchemy.orm import Session

from service.models import Centre, StatsMonth, Tally, WaitTally
from service.models.base import INSERTS
from service.stats.suppression import months_between, years_between

# The tables, not the mapped classes: tens of thousands of plain rows are
# read per report, and Core spares them the ORM's loading.
TALLIES = cast(Table, Tally.__table__)
WAITS = cast(Table, WaitTally.__table__)

# By name for the rows of a view; the id settles two of the same name, so that
# the stamp, which reads them too, is the same for the same centres.
CENTRES = select(Centre.id, Centre.name, Centre.municipality_code).order_by(Centre.name, Centre.id)

# A month's or a year's tallies and their total, then its waiting times and theirs.
Counted = tuple[int, int, int, int]
_FIGURES = ("tallies", "tallies_total", "waits", "waits_total")


class Data(NamedTuple):
    """What a report of a range is computed from (see ``stamp``)."""

    # (year, its last month counted, what it holds)
    years: tuple[tuple[str, str, Counted], ...]
    centres: tuple[tuple[uuid.UUID, str, str], ...]


def _by_month(table: Table, months: Sequence[str]) -> Select[tuple[str, str, int, int]]:
    month = table.c["month"]
    total = func.coalesce(func.sum(table.c["count"]), 0)
    return (
        select(literal(table.name), month, func.count(), total)
        .where(month.in_(months))
        .group_by(month)
    )


def _count(session: Session, months: Sequence[str]) -> dict[str, Counted]:
    """Return what each of the months holds, counted from the rows (by the primary keys)."""
    if not months:
        return {}
    counted = {month: [0, 0, 0, 0] for month in months}
    picked = union_all(_by_month(TALLIES, months), _by_month(WAITS, months))
    found = cast(list[tuple[str, str, int, int]], session.execute(picked).all())
    for table, month, rows, total in found:
        at = 0 if table == TALLIES.name else 2
        counted[month][at : at + 2] = [int(rows), int(total)]
    return {month: cast(Counted, tuple(figures)) for month, figures in counted.items()}


def stamp(session: Session, first: str, last: str, *, horizon: str) -> Data:
    """Return the stamp of a report of the months from first to last.

    Each year the months touch is stamped whole, up to the horizon: a
    report reads a year's tallies whole, for its suppression pattern.
    """
    years = years_between(first, last)
    months = months_between(f"{years[0]}-01", min(f"{years[-1]}-12", horizon))
    kept = select(StatsMonth).where(
        StatsMonth.month >= months[0], StatsMonth.month <= months[-1], StatsMonth.month < horizon
    )
    counted = {
        row.month: (row.tallies, row.tallies_total, row.waits, row.waits_total)
        for row in session.scalars(kept)
    }
    counted |= _count(session, [month for month in months if month not in counted])
    by_year: dict[str, list[int]] = {year: [0, 0, 0, 0] for year in years}
    for month, figures in counted.items():
        by_year[month[:4]] = [sum(pair) for pair in zip(by_year[month[:4]], figures, strict=True)]
    return Data(
        years=tuple(
            (year, min(f"{year}-12", horizon), cast(Counted, tuple(by_year[year])))
            for year in years
        ),
        centres=tuple((cid, name, place) for cid, name, place in session.execute(CENTRES)),
    )


def first_month(session: Session) -> str | None:
    """Return the first month with a tally, if any."""
    return session.scalar(select(func.min(Tally.month)))


def count_months(session: Session, *, horizon: str, now: datetime) -> int:
    """Count every month before the horizon's into ``stats_months``; return how many.

    From the first month with a tally, months without any included. Run by
    the daily purge, in its transaction: a month counted before is counted
    again, so that rows changed all the same (a restore, an import) give a
    new stamp.
    """
    first = first_month(session)
    if first is None or first >= horizon:
        return 0
    months = months_between(first, horizon)[:-1]
    rows = [
        {"month": month, **dict(zip(_FIGURES, figures, strict=True)), "counted_at": now}
        for month, figures in _count(session, months).items()
    ]
    insert = INSERTS[session.get_bind().dialect.name](cast(Table, StatsMonth.__table__))
    changed = {name: insert.excluded[name] for name in (*_FIGURES, "counted_at")}
    session.execute(insert.on_conflict_do_update(index_elements=["month"], set_=changed), rows)
    return len(rows)
