"""Count what happens, as aggregates that link to no course (SPEC P5, P6).

Each count is an upsert of one (month, home municipality, centre, metric)
row, made in the transaction of the event itself, so the numbers agree with
what happened and survive the purge or erasure of the course.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.booking.clock import LOCAL
from service.models import Course, Tally, WaitTally

METRICS = (
    "requested",
    "intro_held",
    "approved",
    "referred",
    "started",
    "completed",
    "dropped",
    "cancelled",
    "erased",
)
MEASURES = ("request_to_intro", "approval_to_group")


def month_of(instant: datetime) -> str:
    """Return the Copenhagen calendar month of an instant, "YYYY-MM"."""
    return instant.astimezone(LOCAL).strftime("%Y-%m")


def _upsert(session: Session, model: type[Tally] | type[WaitTally], row: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: Insert = insert_of(model).values(**row, count=1)
    keys = [column.name for column in model.__mapper__.primary_key]
    # One statement, atomic under concurrency: two transactions counting the
    # same new cell cannot both insert it.
    session.execute(
        statement.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=keys, set_={"count": model.count + 1}
        )
    )


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


def wait(session: Session, course: Course, measure: str, start: datetime, end: datetime) -> None:
    """Add one waiting time, in whole days, to its histogram in the month it ended."""
    assert measure in MEASURES, measure
    _upsert(
        session,
        WaitTally,
        {
            "month": month_of(end),
            "home_municipality": course.home_municipality,
            "centre_id": course.centre_id,
            "measure": measure,
            "days": max(0, (end - start).days),
        },
    )
