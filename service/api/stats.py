"""Statistics for municipalities and services (scope ``stats:read``), small cells suppressed."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service import db
from service.api.auth import current_actor
from service.api.routes import api_route, scope
from service.booking.tally import METRICS
from service.core.clock import last_month_over, utcnow
from service.stats.export import CSV, JSON
from service.stats.query import (
    MONTH_PATTERN,
    PERIODS,
    VIEWS,
    QueryRefused,
    check_range,
    read_query,
)
from service.stats.report import Query, answer
from service.stats.store import Kept

MONTH = validate.Regexp(MONTH_PATTERN, error="A month, YYYY-MM.")

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1",
    description='Aggregate numbers; counts of 1-4 show as "<5", complementary cells as "x".',
)

# Each app (each worker process) keeps the answers made of published rows
# alone (service.stats.store says why they need no invalidation).
KEPT = "diskret.stats_kept"
blp.record_once(lambda state: state.app.extensions.setdefault(KEPT, Kept()))


class StatsQuerySchema(Schema):
    """Which numbers to report."""

    period = fields.String(load_default="month", validate=validate.OneOf(list(PERIODS)))
    first = fields.String(data_key="from", validate=MONTH, metadata={"example": "2026-01"})
    last = fields.String(data_key="to", validate=MONTH, metadata={"example": "2026-12"})
    by = fields.String(load_default="home_municipality", validate=validate.OneOf(list(VIEWS)))

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if first and last:
            try:
                check_range(first, last)
            except QueryRefused as refused:
                raise ValidationError(refused.text, refused.data["field"]) from None


# What each metric counts, in the month it happened; one per metric of
# service.booking.tally.METRICS (a metric without one stops the import).
METRIC_DESCRIPTIONS = {
    "requested": "Courses requested: an intro talk booked.",
    "intro_held": "Intro talks held: a decision recorded after one.",
    "approved": "Courses approved for anonymous treatment.",
    "referred": "Courses referred to ordinary treatment.",
    "started": "Courses that got a place in a group.",
    "completed": "Courses completed.",
    "dropped": "Courses dropped after a group place.",
    "cancelled": "Courses that ended before a group place (not referred, not never_came).",
    "never_came": "Requested courses closed because the citizen did not come to the intro talk.",
    "erased": "Courses erased by the citizen.",
}


def _counts_of(metric: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        required=True,
        metadata={"description": METRIC_DESCRIPTIONS[metric] + " Per row, per column."},
    )


StatsCountsSchema = Schema.from_dict(
    {metric: _counts_of(metric) for metric in METRICS}, name="StatsCountsSchema"
)


class StatsSchema(Schema):
    """One view of the statistics, cut from a suppression pattern shared by every period."""

    period = fields.String()
    first = fields.String(data_key="from")
    last = fields.String(data_key="to")
    by = fields.String()
    threshold = fields.Integer(metadata={"example": 5})
    columns = fields.List(fields.String(), metadata={"example": ["2026-Q1", "2026-Q2"]})
    rows = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": 'Row keys and their names; "*" is the total row. A row by home '
            'municipality is keyed by its code ("101": "København"), by centre by its id, '
            'by flow by both codes ("751>101": "Aarhus → København").',
            "example": {"751>101": "Aarhus → København", "*": "I alt"},
        },
    )
    municipalities = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "The name of every municipality code in the row keys (none by centre).",
            "example": {"101": "København", "751": "Aarhus"},
        },
    )
    counts = fields.Nested(
        StatsCountsSchema,
        metadata={
            "description": 'Per metric, per row, per column: a count, "<5" or "x".',
            "example": {"never_came": {"101": {"2026-Q1": 12, "2026-Q2": "<5"}}},
        },
    )
    waiting_days = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={
            "description": "Per measure, per row, per column: median and 90th percentile in "
            "days, or null below 5 courses.",
            "example": {"request_to_intro": {"*": {"2026-Q1": {"median": 3, "p90": 9}}}},
        },
    )


@api_route(
    blp,
    "/stats",
    access=scope("stats:read"),
    query=StatsQuerySchema,
    response=StatsSchema,
    refusals=(401, 403, 422),
)
def stats(query: dict[str, Any]) -> Response:
    """Report requests, intro talks, decisions, starts, outcomes, erasures and waiting times.

    Within the key's reach: its centre, its municipality's citizens, or the
    whole country for a national key. Only months that are over are counted,
    and its counts never change once it is over. Defaults: the year of
    the last month that is over, by month and home municipality. At most
    ten years at a time, and by flow at most 12 columns (months or
    quarters).
    """
    _, body = _answer(query, JSON)
    return Response(body, mimetype=JSON)


@api_route(
    blp,
    "/stats.csv",
    access=scope("stats:read"),
    query=StatsQuerySchema,
    content_type="text/csv",
    description="One line per metric and row.",
    refusals=(401, 403, 422),
)
def stats_csv(query: dict[str, Any]) -> Response:
    """The same counts as CSV, for a spreadsheet (waiting times are in the JSON only)."""
    wanted, body = _answer(query, CSV)
    name = f"diskret-{wanted.by}-{wanted.first}-{wanted.last}.csv"
    return Response(
        body, mimetype=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _answer(query: dict[str, Any], mimetype: str) -> tuple[Query, bytes]:
    """Return the query read from the request and its answer, published or computed."""
    horizon = last_month_over(utcnow())
    wanted = read_query(
        period=query["period"],
        first=query.get("first"),
        last=query.get("last"),
        by=query["by"],
        horizon=horizon,
    )
    kept: Kept = current_app.extensions[KEPT]
    body = answer(
        db.session(), current_actor(), wanted, horizon=horizon, mimetype=mimetype, kept=kept
    )
    return wanted, body
