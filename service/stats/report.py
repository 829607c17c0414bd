"""Statistics that are safe to publish (SPEC P6), built from the tallies alone.

Every view a key can ask for (by home municipality, by centre, or by flow
from home municipality to the centre's municipality, each within the key's
reach) is cut from one national suppression pattern per metric and year, so
no two queries, whatever their views, periods or reach, show a cell one way
in one and another way in the other.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    bindparam,
    case,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from service.booking.actors import Actor
from service.booking.tally import MEASURES, METRICS
from service.models import Centre, Municipality, Tally, WaitTally
from service.stats import collector
from service.stats.marks import DatabaseMarks
from service.stats.suppression import ANY, THRESHOLD, Pattern, columns_of, suppress

# The tables, not the mapped classes: tens of thousands of plain rows are
# read per report, and Core spares them the ORM's loading.
_TALLIES = cast(Table, Tally.__table__)
_WAITS = cast(Table, WaitTally.__table__)


class _Centre(NamedTuple):
    """A centre as a report reads it, once for all its parts."""

    id: uuid.UUID
    name: str
    municipality_code: str


# By name for the rows of a view; the id settles two of the same name, so that
# the stamp, which reads them too, is the same for the same centres.
_CENTRES = select(Centre.id, Centre.name, Centre.municipality_code).order_by(Centre.name, Centre.id)

Period = Literal["month", "quarter", "year"]
View = Literal["home_municipality", "centre", "flow"]
TOTAL = "*"


@dataclass(frozen=True)
class Query:
    """What to report: the period, the months from first to last inclusive, and the rows."""

    period: Period
    first: str
    last: str
    by: View


@dataclass(frozen=True)
class _Row:
    key: str
    label: str
    cell: tuple[str, str]  # the home and centre parts of the cells of this row


def months_between(first: str, last: str) -> list[str]:
    """Return every "YYYY-MM" from first to last inclusive."""
    year, month = (int(part) for part in first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _columns(months: Sequence[str], period: Period) -> list[str]:
    """Return the columns of a period that lie wholly within the months asked for."""
    level = {"month": 0, "quarter": 1, "year": 2}[period]
    spans: dict[str, list[str]] = defaultdict(list)
    for month in months_between(f"{months[0][:4]}-01", f"{months[-1][:4]}-12"):
        spans[columns_of(month)[level]].append(month)
    inside = set(months)
    return [column for column, span in spans.items() if inside.issuperset(span)]


def _rows(
    session: Session, actor: Actor, by: View, centres: Sequence[_Centre]
) -> tuple[list[_Row], tuple[str, str]]:
    """Return the rows of a view within the actor's reach, data or not, and its total row.

    Listing every row, not only those with data, keeps the mere presence of a
    row from telling that someone from there asked for treatment.
    """
    municipalities = session.execute(
        select(Municipality.code, Municipality.name).order_by(Municipality.code)
    ).all()
    places = sorted({place for _, _, place in centres})
    home, centre = actor.municipality_code, actor.centre_id
    if centre is not None:
        own = next(row for row in centres if row.id == centre)
        by_home = [_Row(code, name, (code, str(centre))) for code, name in municipalities]
        # Within a centre's reach a flow is one into that centre.
        flows = [_Row(f"{row.key}>{own.municipality_code}", "", row.cell) for row in by_home]
        views = {
            "home_municipality": by_home,
            "centre": [_Row(str(centre), own.name, (ANY, str(centre)))],
            "flow": [_Row(row.key, row.key, row.cell) for row in flows],
        }
        return views[by], (ANY, str(centre))
    homes = [(code, name) for code, name in municipalities if home in (None, code)]
    total = (home or ANY, ANY)
    # Only the view asked for is built: nationally, by flow, it has up to 9,604 rows.
    if by == "home_municipality":
        return [_Row(code, name, (code, ANY)) for code, name in homes], total
    if by == "centre":
        return [_Row(str(cid), name, (total[0], str(cid))) for cid, name, _ in centres], total
    flows = [
        _Row(f"{code}>{place}", f"{code}>{place}", (code, "@" + place))
        for code, _ in homes
        for place in places
    ]
    return flows, total


def _patterns(
    session: Session,
    months: Sequence[str],
    horizon: str,
    places: Mapping[uuid.UUID, str],
    *,
    now: datetime,
) -> dict[tuple[str, str], Pattern]:
    """Return the national pattern of every metric for every year the months touch."""
    names = {cid: str(cid) for cid in places}
    located = {names[cid]: code for cid, code in places.items()}
    years = sorted({month[:4] for month in months})
    store = DatabaseMarks(session, now=now)
    leaves: dict[tuple[str, str], dict[tuple[str, str, str], int]] = defaultdict(dict)
    table = _TALLIES.c
    rows = session.execute(
        select(table.metric, table.home_municipality, table.centre_id, table.month, table.count)
        # A range on the key, so the primary key's index serves it.
        .where(table.month >= f"{years[0]}-01", table.month <= min(f"{years[-1]}-12", horizon))
        .order_by(table.month)
    ).all()
    for metric, home, centre_id, month, count in rows:
        leaves[(metric, month[:4])][(home, names[centre_id], month)] = count
    return {
        (metric, year): suppress(
            leaves[(metric, year)],
            located=located,
            months=[m for m in months_between(f"{year}-01", f"{year}-12") if m <= horizon],
            store=store,
        )
        for metric in METRICS
        for year in years
    }


def _reach(actor: Actor, table: Table) -> ColumnElement[bool]:
    if actor.centre_id is not None:
        return table.c["centre_id"] == actor.centre_id
    if actor.municipality_code is not None:
        return table.c["home_municipality"] == actor.municipality_code
    return true()


def _median_and_p90(histogram: Mapping[int, int]) -> dict[str, int] | None:
    total = sum(histogram.values())
    if total < THRESHOLD:
        return None
    result: dict[str, int] = {}
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        for name, share in (("median", 0.5), ("p90", 0.9)):
            if name not in result and seen >= share * total:
                result[name] = days
    return result


def _column(month: ColumnElement[str], period: Period) -> ColumnElement[str]:
    """Return, in SQL, the column of a period that a month is counted in (see ``columns_of``)."""
    if period == "month":
        return month
    year = func.substr(month, 1, 4, type_=String)
    if period == "year":
        return year
    calendar_month = func.substr(month, 6, 2, type_=String)
    quarter = case(
        (calendar_month <= "03", "-Q1"),
        (calendar_month <= "06", "-Q2"),
        (calendar_month <= "09", "-Q3"),
        else_="-Q4",
    )
    return year + quarter


def _waits(
    session: Session,
    actor: Actor,
    rows: Sequence[_Row],
    months: Sequence[str],
    columns: Sequence[str],
    *,
    period: Period,
    located: Mapping[uuid.UUID, str],
) -> dict[str, dict[str, dict[str, dict[str, int] | None]]]:
    """Return the median and 90th percentile of each waiting time, from five courses up."""
    # (measure, row, column) -> {days: count}
    histograms: dict[tuple[str, str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    table = _WAITS.c
    column = _column(table.month, period)
    # The database adds up the months of each column: a quarter or a year
    # comes as one row per waiting time, not one per month.
    found = session.execute(
        select(
            table.measure,
            table.home_municipality,
            table.centre_id,
            column,
            table.days,
            func.sum(table.count),
        )
        .where(table.month.in_(months), _reach(actor, _WAITS))
        .group_by(table.measure, table.home_municipality, table.centre_id, column, table.days)
    ).all()
    # A waiting time counts in every row whose two cell parts are among its
    # own: looking up the 16 pairs of parts beats testing every row of the
    # view (9,604 of them by flow), and is done once for each home and centre.
    by_cell: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        by_cell[row.cell].append(row.key)
    keys_of: dict[tuple[str, uuid.UUID], list[str]] = {}
    wanted = set(columns)
    for measure, home, centre_id, counted_in, days, count in found:
        if counted_in not in wanted:  # a quarter or year only partly asked for
            continue
        keys = keys_of.get((home, centre_id))
        if keys is None:
            parts = (home, ANY, str(centre_id), "@" + located[centre_id])
            pairs = [by_cell.get((first, second), ()) for first in parts for second in parts]
            keys = keys_of[(home, centre_id)] = [TOTAL, *{key for pair in pairs for key in pair}]
        for key in keys:
            histograms[(measure, key, counted_in)][days] += count
    return {
        measure: {
            key: {column: _median_and_p90(histograms[(measure, key, column)]) for column in columns}
            for key in [*(row.key for row in rows), TOTAL]
        }
        for measure in MEASURES
    }


# How many rows each table holds in a range of months, and their total:
# one short scan of each table's primary key range.
_TOTALS = union_all(
    *(
        select(
            literal(table.name), func.count(), func.coalesce(func.sum(table.c["count"]), 0)
        ).where(table.c["month"] >= bindparam("first"), table.c["month"] <= bindparam("last"))
        for table in (_TALLIES, _WAITS)
    )
)


def stamp(session: Session, query: Query, *, horizon: str) -> Hashable:
    """Return a stamp of everything a report of the query is computed from, read cheaply.

    A report reads the tallies of whole years up to the horizon, the waiting
    times of its months and the centres' names and places (the
    municipalities are fixed). A count only ever grows and no tally is ever
    deleted, so each table's number of rows and total change with every
    write: with the centres they tell a kept answer from a stale one,
    without reading the rows themselves.
    """
    months = {"first": f"{query.first[:4]}-01", "last": min(f"{query.last[:4]}-12", horizon)}
    totals = tuple(sorted(tuple(row) for row in session.execute(_TOTALS, months)))
    centres = tuple(tuple(row) for row in session.execute(_CENTRES))
    return (months["first"], months["last"], totals, centres)


@collector.paused()
def report(
    session: Session, actor: Actor, query: Query, *, horizon: str, now: datetime
) -> dict[str, Any]:
    """Return the suppressed counts and waiting times of one view over a range of months.

    ``horizon`` is the last month that is over at ``now``; nothing after it is counted.
    """
    months = months_between(query.first, query.last)
    # Read once for the rows, the patterns and the waiting times.
    centres = [_Centre(*row) for row in session.execute(_CENTRES)]
    located = {centre.id: centre.municipality_code for centre in centres}
    rows, total = _rows(session, actor, query.by, centres)
    columns = _columns(months, query.period)
    patterns = _patterns(session, months, horizon, located, now=now)
    cells = {**{row.key: row.cell for row in rows}, TOTAL: total}

    def shown(metric: str) -> dict[str, dict[str, int | str]]:
        # Each column's pattern is found once, not once per row: by flow a
        # view has up to 9,604 rows.
        shows = [(column, patterns[(metric, column[:4])].show) for column in columns]
        return {
            key: {column: show((*cell, column)) for column, show in shows}
            for key, cell in cells.items()
        }

    return {
        "period": query.period,
        "from": query.first,
        "to": query.last,
        "by": query.by,
        "threshold": THRESHOLD,
        "columns": columns,
        "rows": {**{row.key: row.label for row in rows}, TOTAL: "I alt"},
        "counts": {metric: shown(metric) for metric in METRICS},
        "waiting_days": _waits(
            session, actor, rows, months, columns, period=query.period, located=located
        ),
    }


@collector.paused()
def prepare(session: Session, *, horizon: str, now: datetime) -> list[str]:
    """Decide and keep the patterns of every year with data, up to the last month over.

    Run by the daily housekeeping (``diskret purge``), so that no request has
    to decide a year, which takes seconds per year of national data. Returns
    the years prepared.
    """
    first = session.scalar(select(func.min(Tally.month)))
    if first is None or first > horizon:
        return []
    months = months_between(first, horizon)
    located = {row.id: row.municipality_code for row in session.execute(_CENTRES)}
    _patterns(session, months, horizon, located, now=now)
    return sorted({month[:4] for month in months})
