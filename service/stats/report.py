"""Statistics that are safe to publish (SPEC P6), built from the tallies alone.

Every view a key can ask for (by home municipality, by centre, or by flow
from home municipality to the centre's municipality, each within the key's
reach) is cut from one national suppression pattern per metric and year, so
no two queries, whatever their views, periods or reach, show a cell one way
in one and another way in the other.

Each column is cut from its own year's pattern, so a report over any range
is joined from one part per year (``service.stats.parts``): a year's part
is computed once, from that year's tallies, and kept.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from cachetools import LRUCache
from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    case,
    func,
    select,
    true,
)
from sqlalchemy.orm import Session

from service.booking.tally import MEASURES, METRICS
from service.identity.actors import Actor
from service.models import Municipality
from service.stats import collector, parts, suppression
from service.stats.kept import digest_of
from service.stats.marks import DatabaseMarks
from service.stats.stamps import CENTRES, TALLIES, WAITS, Data, first_month, stamp
from service.stats.suppression import (
    ANY,
    THRESHOLD,
    Pattern,
    columns_of,
    months_between,
    suppress,
)


class _Centre(NamedTuple):
    """A centre as a report reads it, once for all its parts."""

    id: uuid.UUID
    name: str
    municipality_code: str


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


def columns_within(months: Sequence[str], period: Period) -> list[str]:
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
    table = TALLIES.c
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
    table = WAITS.c
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
        .where(table.month.in_(months), _reach(actor, WAITS))
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


@collector.paused()
def report(
    session: Session,
    actor: Actor,
    query: Query,
    *,
    horizon: str,
    now: datetime,
    data: Data | None = None,
) -> dict[str, Any]:
    """Return the suppressed counts and waiting times of one view over a range of months.

    ``horizon`` is the last month that is over at ``now``; nothing after it
    is counted. ``data``, the query's stamp, is read again unless given.
    The columns come from each year's part (``_digests``), kept or computed.
    """
    data = data if data is not None else stamp(session, query.first, query.last, horizon=horizon)
    centres = [_Centre(*row) for row in data.centres]
    rows, total = _rows(session, actor, query.by, centres)
    columns = columns_within(months_between(query.first, query.last), query.period)
    digests = _digests(actor, query, data)
    stored = parts.load(session, digests.values())
    missing = {year: digest for year, digest in digests.items() if digest not in stored}
    made = {}
    if missing:
        made = _kept(session, actor, query, data, missing, rows=rows, total=total, now=now)
    keys = [*(row.key for row in rows), TOTAL]
    joined: parts.Part = {
        "counts": {metric: {key: {} for key in keys} for metric in METRICS},
        "waiting_days": {measure: {key: {} for key in keys} for measure in MEASURES},
    }
    # One year's part at a time, read and let go: ten decoded parts of a
    # view by flow would hold ten times what the answer does.
    wanted = set(columns)
    for digest in digests.values():
        part = made.pop(digest) if digest in made else parts.decode(stored.pop(digest))
        _join(joined, part, wanted)
        del part  # before the next is read
    return {
        "period": query.period,
        "from": query.first,
        "to": query.last,
        "by": query.by,
        "threshold": THRESHOLD,
        "columns": columns,
        "rows": {**{row.key: row.label for row in rows}, TOTAL: "I alt"},
        **joined,
    }


def _join(joined: parts.Part, part: parts.Part, wanted: set[str]) -> None:
    """Add a year's columns that are wanted to each row of the report.

    A range that starts or ends within a year, or covers a quarter or a year
    only partly, takes fewer columns than its first or last part holds;
    every row of a part holds every one of its columns.
    """
    held = part["counts"][METRICS[0]][TOTAL].keys()
    cut = None if wanted.issuperset(held) else [column for column in held if column in wanted]
    for section, of_section in joined.items():
        for name, rows in of_section.items():
            of_year = part[section][name]
            for key, cells in rows.items():
                row = of_year[key]
                cells.update(row if cut is None else {column: row[column] for column in cut})


def _digests(actor: Actor, query: Query, data: Data) -> dict[str, bytes]:
    """Name each year's part of a view within a reach, by what it is computed from.

    A part does not depend on the range asked for: it holds every column of
    the view and period that lies wholly within the year's months counted,
    so any range that touches the year takes its columns from it. Nor on
    the centres' names, which only label rows: on their places it does.
    """
    asked = (actor.municipality_code, actor.centre_id, query.period, query.by)
    return {year: digest_of((asked, *key)) for year, key in _year_keys(data).items()}


def _year_keys(data: Data) -> dict[str, tuple[object, ...]]:
    """Return, for each year, what its parts are computed from but the view and reach.

    The year, its last month counted, its stamp and where the centres are.
    """
    places = tuple(sorted((str(cid), place) for cid, _, place in data.centres))
    return {year: (year, through, counted, places) for year, through, counted in data.years}


def _compute(
    session: Session,
    actor: Actor,
    query: Query,
    months: Sequence[str],
    located: Mapping[uuid.UUID, str],
    *,
    patterns: Mapping[tuple[str, str], Pattern],
    rows: Sequence[_Row],
    total: tuple[str, str],
) -> parts.Part:
    """Compute the part of the year whose months counted are given, with its patterns."""
    year = months[0][:4]
    columns = columns_within(months, query.period)
    cells = {**{row.key: row.cell for row in rows}, TOTAL: total}

    def shown(metric: str) -> dict[str, dict[str, int | str]]:
        # Each column's pattern is found once, not once per row: by flow a
        # view has up to 9,604 rows.
        shows = [(column, patterns[(metric, year)].show) for column in columns]
        return {
            key: {column: show((*cell, column)) for column, show in shows}
            for key, cell in cells.items()
        }

    return {
        "counts": {metric: shown(metric) for metric in METRICS},
        "waiting_days": _waits(
            session, actor, rows, months, columns, period=query.period, located=located
        ),
    }


def _kept(
    session: Session,
    actor: Actor,
    query: Query,
    data: Data,
    missing: Mapping[str, bytes],
    *,
    rows: Sequence[_Row],
    total: tuple[str, str],
    now: datetime,
) -> dict[bytes, parts.Part]:
    """Compute the parts of the years missing (year: digest), keep them and return them.

    One year at a time, each from its own tallies: ten years of national
    flows at once would hold millions of cells more.
    """
    located = {cid: place for cid, _, place in data.centres}
    keys = _year_keys(data)
    made: dict[bytes, parts.Part] = {}
    for year, through, _ in data.years:
        if year not in missing:
            continue
        months = months_between(f"{year}-01", through)
        patterns = _year_patterns(session, keys[year], months, located, now=now)
        made[missing[year]] = _compute(
            session, actor, query, months, located, patterns=patterns, rows=rows, total=total
        )
        parts.save(session, missing[year], made[missing[year]], through=through, now=now)
    return made


# The purge keeps a year's part for every reach, view and period in turn, and
# each would read and fingerprint all of the year's tallies again to find the
# year's patterns. The latest years' are kept here under what a part's digest
# names (the year, its months counted, its stamp, where the centres are), so
# they serve only the data a part of that digest is computed from. The purge
# goes a year at a time; the patterns themselves are those ``suppression``
# keeps in the process anyway.
_LATEST: LRUCache[Hashable, dict[tuple[str, str], Pattern]] = LRUCache(maxsize=2)
_LATEST_LOCK = threading.Lock()


def forget() -> None:
    """Forget every pattern the process keeps, here and in ``suppression``, as a new process."""
    with _LATEST_LOCK:
        _LATEST.clear()
    suppression.forget()


def _year_patterns(
    session: Session,
    key: Hashable,
    months: Sequence[str],
    located: Mapping[uuid.UUID, str],
    *,
    now: datetime,
) -> dict[tuple[str, str], Pattern]:
    """Return a year's patterns, the months counted given: kept under ``key``, else restored."""
    with _LATEST_LOCK:
        patterns = _LATEST.get(key)
    if patterns is None:
        patterns = _patterns(session, months, months[-1], located, now=now)
        with _LATEST_LOCK:
            _LATEST[key] = patterns
    return patterns


@collector.paused()
def prepare(session: Session, *, horizon: str, now: datetime) -> list[str]:
    """Decide and keep the patterns of every year with data, up to the last month over.

    Run by the daily housekeeping (``diskret purge``), so that no request has
    to decide a year, which takes seconds per year of national data. Returns
    the years prepared.
    """
    first = first_month(session)
    if first is None or first > horizon:
        return []
    months = months_between(first, horizon)
    located = {row.id: row.municipality_code for row in session.execute(CENTRES)}
    _patterns(session, months, horizon, located, now=now)
    return sorted({month[:4] for month in months})


@collector.paused()
def keep_part(
    session: Session,
    actor: Actor,
    period: Period,
    by: View,
    *,
    year: str,
    horizon: str,
    now: datetime,
) -> None:
    """Keep a year's part of a view within a reach, unless it is kept already.

    Run by the daily purge for every year, reach, view and period, a year at
    a time, so that a range of its own is joined from kept parts: a year's
    part is computed once, then read.
    """
    query = Query(period=period, first=f"{year}-01", last=min(f"{year}-12", horizon), by=by)
    data = stamp(session, query.first, query.last, horizon=horizon)
    digests = _digests(actor, query, data)
    if parts.present(session, digests.values()):
        return
    rows, total = _rows(session, actor, by, [_Centre(*row) for row in data.centres])
    _kept(session, actor, query, data, digests, rows=rows, total=total, now=now)
