"""Statistics that are safe to publish (SPEC P6), built from the tallies alone.

Every view a key can ask for (by home municipality, by centre, or by flow
from home municipality to the centre's municipality, each within the key's
reach) is cut from one national suppression pattern per metric and year, so
no two queries, whatever their views, periods or reach, show a cell one way
in one and another way in the other.

Each column is cut from its own year's pattern, so a report over any range
is joined from one part per year: published by the daily purge
(``publish``, into ``service.stats.store``), or computed for the request
alone where it is not (``report`` only reads).
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, cast

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
from service.core.clock import last_month_over
from service.identity.actors import Actor
from service.models import ApiKey, Centre, Municipality, Tally, WaitTally
from service.stats import store
from service.stats.export import CSV, ENCODERS, JSON, spliced
from service.stats.suppression import (
    ANY,
    THRESHOLD,
    Pattern,
    columns_of,
    months_between,
    suppress,
    years_between,
)

# The tables, not the mapped classes: tens of thousands of plain rows are
# read per year, and Core spares them the ORM's loading.
TALLIES = cast(Table, Tally.__table__)
WAITS = cast(Table, WaitTally.__table__)

# By name for the rows of a view; the id settles two of the same name.
CENTRES = select(Centre.id, Centre.name, Centre.municipality_code).order_by(Centre.name, Centre.id)
MUNICIPALITIES = select(Municipality.code, Municipality.name).order_by(Municipality.code)


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


class _Row(NamedTuple):
    """A row of a view: a national view by flow has 9,604, built for every answer."""

    key: str
    label: str
    cell: tuple[str, str]  # the home and centre parts of the cells of this row


def flow_label(home: str, place: str) -> str:
    """Return the name of a flow row: "Aarhus → København" (its key keeps the codes "751>101")."""
    return f"{home} → {place}"


def columns_within(months: Sequence[str], period: Period) -> list[str]:
    """Return the columns of a period that lie wholly within the months asked for."""
    level = {"month": 0, "quarter": 1, "year": 2}[period]
    spans: dict[str, list[str]] = defaultdict(list)
    for month in months_between(f"{months[0][:4]}-01", f"{months[-1][:4]}-12"):
        spans[columns_of(month)[level]].append(month)
    inside = set(months)
    return [column for column, span in spans.items() if inside.issuperset(span)]


def _rows(
    actor: Actor,
    by: View,
    centres: Sequence[_Centre],
    municipalities: Sequence[tuple[str, str]],
) -> tuple[list[_Row], tuple[str, str]]:
    """Return the rows of a view within the actor's reach, data or not, and its total row.

    Listing every row, not only those with data, keeps the mere presence of a
    row from telling that someone from there asked for treatment.
    """
    places = sorted({place for _, _, place in centres})
    home, centre = actor.municipality_code, actor.centre_id
    if centre is not None:
        own = next(row for row in centres if row.id == centre)
        by_home = [_Row(code, name, (code, str(centre))) for code, name in municipalities]
        # Within a centre's reach a flow is one into that centre.
        place = dict(municipalities).get(own.municipality_code, own.municipality_code)
        flows = [
            _Row(f"{row.key}>{own.municipality_code}", flow_label(row.label, place), row.cell)
            for row in by_home
        ]
        views = {
            "home_municipality": by_home,
            "centre": [_Row(str(centre), own.name, (ANY, str(centre)))],
            "flow": flows,
        }
        return views[by], (ANY, str(centre))
    homes = [(code, name) for code, name in municipalities if home in (None, code)]
    total = (home or ANY, ANY)
    # Only the view asked for is built: nationally, by flow, it has up to 9,604 rows.
    if by == "home_municipality":
        return [_Row(code, name, (code, ANY)) for code, name in homes], total
    if by == "centre":
        return [_Row(str(cid), name, (total[0], str(cid))) for cid, name, _ in centres], total
    names = dict(municipalities)
    flows = [
        _Row(f"{code}>{place}", flow_label(name, names.get(place, place)), (code, "@" + place))
        for code, name in homes
        for place in places
    ]
    return flows, total


def _patterns(
    session: Session, year: str, through: str, located: Mapping[uuid.UUID, str]
) -> dict[str, Pattern]:
    """Return the national pattern of every metric for a year counted through a month."""
    names = {cid: str(cid) for cid in located}
    places = {names[cid]: code for cid, code in located.items()}
    leaves: dict[str, dict[tuple[str, str, str], int]] = defaultdict(dict)
    table = TALLIES.c
    rows = session.execute(
        select(table.metric, table.home_municipality, table.centre_id, table.month, table.count)
        # A range on the key, so the primary key's index serves it.
        .where(table.month >= f"{year}-01", table.month <= through)
    ).all()
    for metric, home, centre_id, month, count in rows:
        leaves[metric][(home, names[centre_id], month)] = count
    months = months_between(f"{year}-01", through)
    return {metric: suppress(leaves[metric], located=places, months=months) for metric in METRICS}


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


def _years(query: Query, horizon: str) -> list[tuple[str, str]]:
    """Return each year the query touches with the last month counted in it."""
    return [(year, min(f"{year}-12", horizon)) for year in years_between(query.first, query.last)]


class _Places(NamedTuple):
    """Every centre and every municipality, which the rows of a view are made of."""

    centres: list[_Centre]
    municipalities: list[tuple[str, str]]


def _read_places(session: Session) -> _Places:
    """Return every centre and every municipality, as the rows of a view name them."""
    centres = [_Centre(*row) for row in session.execute(CENTRES)]
    return _Places(centres, [(code, name) for code, name in session.execute(MUNICIPALITIES)])


def report(session: Session, actor: Actor, query: Query, *, horizon: str) -> dict[str, Any]:
    """Return the suppressed counts and waiting times of one view over a range of months.

    ``horizon`` is the last month that is over; nothing after it is counted.
    Each year's columns come from what the purge published, else they are
    computed from the tallies for this answer alone: nothing is written.
    """
    return _report(session, actor, query, horizon=horizon, places=_read_places(session))[0]


def _report(
    session: Session, actor: Actor, query: Query, *, horizon: str, places: _Places
) -> tuple[dict[str, Any], bool]:
    """Return ``report``'s answer, and whether every year of it was published."""
    centres, municipalities = places
    rows, total = _rows(actor, query.by, centres, municipalities)
    columns = columns_within(months_between(query.first, query.last), query.period)
    located = {centre.id: centre.municipality_code for centre in centres}
    years = _years(query, horizon)
    stored = store.bodies(
        session, actor, query.by, query.period, years, places=store.places_of(centres)
    )
    keys = [*(row.key for row in rows), TOTAL]
    joined: store.Part = {
        "counts": {metric: {key: {} for key in keys} for metric in METRICS},
        "waiting_days": {measure: {key: {} for key in keys} for measure in MEASURES},
    }
    # One year's part at a time, read and let go: ten decoded parts of a
    # view by flow would hold ten times what the answer does.
    wanted = set(columns)
    published = len(stored) == len(years)
    for year, through in years:
        body = stored.pop(year, None)
        if body is not None:
            part = store.decode(body)
        else:
            months = months_between(f"{year}-01", through)
            patterns = _patterns(session, year, through, located)
            part = _compute(
                session, actor, query, months, located, patterns=patterns, rows=rows, total=total
            )
        _join(joined, part, wanted)
        del part  # before the next is read
    return {**_head(query, rows, columns, dict(municipalities)), **joined}, published


def answer(
    session: Session,
    actor: Actor,
    query: Query,
    *,
    horizon: str,
    mimetype: str,
    kept: store.Kept | None = None,
) -> bytes:
    """Return a report encoded as ``mimetype`` (``export.ENCODERS``), as ``report`` gives it.

    A question whose columns are exactly one published year's (every view
    of the running year, and any whole year) is answered with the bytes the
    purge wrote for that year, not read into objects and written again:
    the JSON's counts and waiting times with the other fields around them,
    the CSV whole while its row labels (the centres' names) are the same.
    An answer made of published years alone is put in ``kept``, and taken
    from there when asked again with the same names of every centre and
    municipality (``store.Kept``).
    """
    places = _read_places(session)
    key = (mimetype, store.reach_of(actor), query, horizon, store.names_of(*places))
    found = kept.get(key) if kept is not None else None
    if found is not None:
        return found
    body, published = _answer(
        session, actor, query, horizon=horizon, mimetype=mimetype, places=places
    )
    if published and kept is not None:
        kept.put(key, body)
    return body


def _answer(
    session: Session, actor: Actor, query: Query, *, horizon: str, mimetype: str, places: _Places
) -> tuple[bytes, bool]:
    """Return ``answer``'s bytes, found or built, and whether every year of it was published."""
    whole = _published_whole(
        session, actor, query, horizon=horizon, places=places, csv=mimetype == CSV
    )
    if whole is not None:
        head, body = whole
        if mimetype == JSON:
            return spliced(head, *store.sections(body)), True
        csv = store.csv_of(body, labels=store.labels_of(head["rows"]))
        if csv is not None:
            return csv, True
    result, published = _report(session, actor, query, horizon=horizon, places=places)
    return ENCODERS[mimetype](result), published


def _head(
    query: Query, rows: Iterable[_Row], columns: list[str], municipalities: Mapping[str, str]
) -> dict[str, Any]:
    """Return the fields of a report but its counts and waiting times."""
    labels = {row.key: row.label for row in rows}
    return {
        "period": query.period,
        "from": query.first,
        "to": query.last,
        "by": query.by,
        "threshold": THRESHOLD,
        "columns": columns,
        "rows": {**labels, TOTAL: "I alt"},
        "municipalities": _named(query.by, labels, municipalities),
    }


def _named(
    by: View, labels: Mapping[str, str], municipalities: Mapping[str, str]
) -> dict[str, str]:
    """Return the name of every municipality code that a row key of the view holds.

    A row by home municipality is keyed by its code and a row by flow by
    "home>place"; a consumer finds each code's name here without parsing a
    label. A view by centre is keyed by the centre's id and names none.
    """
    if by == "centre":
        return {}
    codes = {code for key in labels for code in key.split(">")}
    return {code: municipalities[code] for code in sorted(codes) if code in municipalities}


def _labelled(
    actor: Actor, by: View, centres: Sequence[_Centre], municipalities: Sequence[tuple[str, str]]
) -> Iterator[_Row]:
    """Yield the rows of a view as ``_rows`` lists them, each let go once its label is read.

    A national view by flow has 9,604 rows: held at once, they and their
    cells are 19,208 tuples that the garbage collector tracks, which set
    off a full collection of the process's heap (85 ms) every fifth answer.
    """
    if by != "flow" or actor.centre_id is not None:
        yield from _rows(actor, by, centres, municipalities)[0]
        return
    places = sorted({place for _, _, place in centres})
    home = actor.municipality_code
    names = dict(municipalities)
    for code, name in municipalities:
        if home in (None, code):
            for place in places:
                label = flow_label(name, names.get(place, place))
                yield _Row(f"{code}>{place}", label, (code, "@" + place))


def _published_whole(
    session: Session, actor: Actor, query: Query, *, horizon: str, places: _Places, csv: bool
) -> tuple[dict[str, Any], bytes] | None:
    """Return the head of a question that one published year answers whole, and its body."""
    years = _years(query, horizon)
    if len(years) != 1:
        return None
    year, through = years[0]
    columns = columns_within(months_between(query.first, query.last), query.period)
    if columns != columns_within(months_between(f"{year}-01", through), query.period):
        return None
    centres, municipalities = places
    found = store.bodies(
        session, actor, query.by, query.period, years, places=store.places_of(centres), csv=csv
    )
    if year not in found:
        return None
    rows = _labelled(actor, query.by, centres, municipalities)
    return _head(query, rows, columns, dict(municipalities)), found[year]


def _join(joined: store.Part, part: store.Part, wanted: set[str]) -> None:
    """Add a year's columns that are wanted to each row of the report.

    A range that starts or ends within a year, or covers a quarter or a year
    only partly, takes fewer columns than its part holds; every row of a
    part holds every one of its columns.
    """
    held = part["counts"][METRICS[0]][TOTAL].keys()
    cut = None if wanted.issuperset(held) else [column for column in held if column in wanted]
    for section, of_section in joined.items():
        for name, rows in of_section.items():
            of_year = part[section][name]
            for key, cells in rows.items():
                row = of_year[key]
                if cut is not None:
                    cells.update({column: row[column] for column in cut})
                elif cells:
                    cells.update(row)
                else:  # the row's first year, taken whole: not copied cell by cell
                    rows[key] = row


def _compute(
    session: Session,
    actor: Actor,
    query: Query,
    months: Sequence[str],
    located: Mapping[uuid.UUID, str],
    *,
    patterns: Mapping[str, Pattern],
    rows: Sequence[_Row],
    total: tuple[str, str],
) -> store.Part:
    """Compute the part of the year whose months counted are given, with its patterns.

    The part holds every whole column of the view and period within those
    months, whatever range was asked: any range that touches the year takes
    its columns from it.
    """
    columns = columns_within(months, query.period)
    cells = {**{row.key: row.cell for row in rows}, TOTAL: total}

    def shown(metric: str) -> dict[str, dict[str, int | str]]:
        # Each column's pattern is found once, not once per row: by flow a
        # view has up to 9,604 rows.
        shows = [(column, patterns[metric].show) for column in columns]
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


PERIODS: tuple[Period, ...] = ("month", "quarter", "year")
VIEWS: tuple[View, ...] = ("home_municipality", "centre", "flow")


def _reaches(session: Session) -> list[Actor]:
    """Return the country and the reach of every stats key in use, as actors."""
    keys = select(ApiKey.municipality_code, ApiKey.centre_id).where(
        ApiKey.revoked_at.is_(None), ApiKey.scopes.contains("stats:read")
    )
    reaches = {
        (None, None),
        *((row.municipality_code, row.centre_id) for row in session.execute(keys)),
    }
    return [
        Actor(kind="system", id=None, centre_id=centre, municipality_code=municipality)
        for municipality, centre in sorted(reaches, key=repr)
    ]


def publish(session: Session, *, now: datetime) -> tuple[list[str], int, int]:
    """Publish every view and period of every year with data, for the country and each reach.

    Run by the daily purge, and by nothing else. A year at a time: its
    tallies are read and its suppression decided once, for every reach,
    view and period not yet published through the last month over, then
    its rows are committed, so a purge cut short keeps the years it did.
    Rows that no question asks for any more go first (``store.prune``).
    Returns the years published, the reaches and the rows deleted.
    """
    horizon = last_month_over(now)
    centres, municipalities = _read_places(session)
    places = store.places_of(centres)
    located = {centre.id: centre.municipality_code for centre in centres}
    actors = _reaches(session)
    reaches = [store.reach_of(actor) for actor in actors]
    named = dict(municipalities)
    pruned = store.prune(session, horizon=horizon, places=places, reaches=reaches)
    session.commit()
    first = session.scalar(select(func.min(Tally.month)))
    if first is None or first > horizon:
        return [], len(actors), pruned
    years = years_between(first, horizon)
    asked = list(itertools.product(VIEWS, PERIODS))
    for year in years:
        through = min(f"{year}-12", horizon)
        months = months_between(f"{year}-01", through)
        patterns: dict[str, Pattern] | None = None
        for actor in actors:
            done = store.published(session, actor, year=year, through=through, places=places)
            for by, period in asked:
                if (by, period) in done:
                    continue
                if patterns is None:
                    patterns = _patterns(session, year, through, located)
                query = Query(period=period, first=f"{year}-01", last=through, by=by)
                rows, total = _rows(actor, by, centres, municipalities)
                part = _compute(
                    session,
                    actor,
                    query,
                    months,
                    located,
                    patterns=patterns,
                    rows=rows,
                    total=total,
                )
                result = {**_head(query, rows, columns_within(months, period), named), **part}
                store.publish(
                    session, actor, result, year=year, through=through, places=places, now=now
                )
        session.commit()
    return years, len(actors), pruned
