"""Count what happens, as aggregates that link to no course (SPEC P5, P6).

Each count is an upsert of one (month, home municipality, centre, metric)
row, made in the transaction of the event itself, so the numbers agree with
what happened and survive the purge or erasure of the course.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table
from sqlalchemy.orm import Session

from service.core.clock import LOCAL
from service.models import Course, Tally, WaitTally
from service.models.base import INSERTS, InsertOf

METRICS = (
    "requested",
    "intro_held",
    "approved",
    "referred",
    "started",
    "completed",
    "dropped",
    "cancelled",
    "never_came",
    "erased",
)
MEASURES = ("request_to_intro", "approval_to_group")


def month_of(instant: datetime) -> str:
    """Return the Copenhagen calendar month of an instant, "YYYY-MM"."""
    return instant.astimezone(LOCAL).strftime("%Y-%m")


def _upsert_of(insert_of: InsertOf, model: type[Tally | WaitTally]) -> Insert:
    table = cast(Table, model.__table__)
    keys = [column.name for column in table.primary_key]
    # One statement, atomic under concurrency: two transactions counting the
    # same new cell cannot both insert it.
    return insert_of(table).on_conflict_do_update(
        index_elements=keys, set_={"count": table.c.count + 1}
    )


# Built once, on the tables (no ORM bulk-insert machinery); the values are
# given at each call.
_UPSERTS = {
    (dialect, model): _upsert_of(insert_of, model)
    for dialect, insert_of in INSERTS.items()
    for model in (Tally, WaitTally)
}


def _upsert(session: Session, model: type[Tally] | type[WaitTally], row: dict[str, Any]) -> None:
    statement = _UPSERTS[session.get_bind().dialect.name, model]
    session.execute(statement, {**row, "count": 1})


def count(session: Session, course: Course, metric: str, *, at: datetime) -> None:
    """Add one to a metric for the course's home municipality and centre in the month of ``at``."""
    assert metric in METRICS, metric
    _upsert(
        session,
        Tally,
        {
            "month": month_of(at),
            "home_municipality": course.home_municipality,
            "centre_id": course.centre_id,
            "metric": metric,
        },
    )


def wait(
    session: Session, course: Course, measure: str, start: datetime, end: datetime, *, at: datetime
) -> None:
    """Add one waiting time, in whole days, to its histogram in the month of ``at``.

    Like every count, a waiting time goes in the month it is recorded, not
    the month it ended: a decision recorded after the month of its intro
    talk must not change a month that is over (the statistics promise that
    such a month never changes).
    """
    assert measure in MEASURES, measure
    _upsert(
        session,
        WaitTally,
        {
            "month": month_of(at),
            "home_municipality": course.home_municipality,
            "centre_id": course.centre_id,
            "measure": measure,
            "days": max(0, (end - start).days),
        },
    )
