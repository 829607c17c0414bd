"""Statistics for municipalities and services (scope ``stats:read``), small cells suppressed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import db
from service.api.auth import api_key_rate_key, current_actor, requires_scope
from service.api.errors import ErrorSchema
from service.booking.actors import Actor
from service.booking.clock import utcnow
from service.limits import configured, limiter
from service.models import ApiKey
from service.stats.answers import Answers, StoredAnswers, digest_of
from service.stats.export import to_csv
from service.stats.query import (
    MONTH_PATTERN,
    PERIODS,
    VIEWS,
    QueryRefused,
    check_range,
    last_month_over,
    read_query,
)
from service.stats.report import Query, report, stamp

ANSWERS = "diskret.stats.answers"
DEFAULT_PERIOD = "month"
DEFAULT_VIEW = "home_municipality"

MONTH = validate.Regexp(MONTH_PATTERN, error="A month, YYYY-MM.")

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1",
    description='Aggregate numbers; counts of 1-4 show as "<5", complementary cells as "x".',
)


class StatsQuerySchema(Schema):
    """Which numbers to report."""

    period = fields.String(load_default=DEFAULT_PERIOD, validate=validate.OneOf(list(PERIODS)))
    first = fields.String(data_key="from", validate=MONTH, metadata={"example": "2026-01"})
    last = fields.String(data_key="to", validate=MONTH, metadata={"example": "2026-12"})
    by = fields.String(load_default=DEFAULT_VIEW, validate=validate.OneOf(list(VIEWS)))

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if first and last:
            try:
                check_range(first, last)
            except QueryRefused as refused:
                raise ValidationError(refused.text, refused.data["field"]) from None


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
        metadata={"description": 'Row keys and their names; "*" is the total row.'},
    )
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={
            "description": 'Per metric, per row, per column: a count, "<5" or "x".',
            "example": {"requested": {"101": {"2026-Q1": 12, "2026-Q2": "<5"}}},
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


@blp.get("/stats")
@limiter.limit(lambda: configured("RATELIMIT_API_KEY"), key_func=api_key_rate_key)
@requires_scope("stats:read")
@blp.arguments(StatsQuerySchema, location="query")
@blp.response(200, StatsSchema)
@blp.alt_response(401, schema=ErrorSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def stats(query: dict[str, Any]) -> Response:
    """Report requests, intro talks, decisions, starts, outcomes, erasures and waiting times.

    Within the key's reach: its centre, its municipality's citizens, or the
    whole country for a national key. Only months that are over are counted,
    and its counts never change once it is over. Defaults: the year of
    the last month that is over, by month and home municipality.
    """
    return _answer(query, _JSON)


@blp.get("/stats.csv")
@limiter.limit(lambda: configured("RATELIMIT_API_KEY"), key_func=api_key_rate_key)
@requires_scope("stats:read")
@blp.arguments(StatsQuerySchema, location="query")
@blp.response(200, content_type="text/csv", description="One line per metric and row.")
@blp.alt_response(401, schema=ErrorSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def stats_csv(query: dict[str, Any]) -> Response:
    """The same counts as CSV, for a spreadsheet (waiting times are in the JSON only)."""
    return _answer(query, _CSV)


@dataclass(frozen=True)
class _Format:
    mimetype: str
    encode: Callable[[dict[str, Any]], bytes]
    download: bool = False


def _encode_json(result: dict[str, Any]) -> bytes:
    result["first"], result["last"] = result.pop("from"), result.pop("to")
    return current_app.json.dumps(_STATS_SCHEMA.dump(result), separators=(",", ":")).encode()


_STATS_SCHEMA = StatsSchema()
_JSON = _Format("application/json", _encode_json)
_CSV = _Format("text/csv", lambda result: to_csv(result).encode(), download=True)


def _answer(query: dict[str, Any], form: _Format) -> Response:
    """Return the report asked for, encoded, kept or computed (``answer_for``)."""
    now = utcnow()
    horizon = last_month_over(now)
    wanted = read_query(
        period=query["period"],
        first=query.get("first"),
        last=query.get("last"),
        by=query["by"],
        horizon=horizon,
    )
    body = answer_for(db.session(), current_actor(), wanted, horizon=horizon, now=now, form=form)
    response = Response(body, mimetype=form.mimetype)
    if form.download:
        name = f"diskret-{wanted.by}-{wanted.first}-{wanted.last}.csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def answer_for(
    session: Session,
    actor: Actor,
    wanted: Query,
    *,
    horizon: str,
    now: datetime,
    form: _Format = _JSON,
) -> bytes:
    """Return an answer from the process, else from the table, else computed and kept in both.

    Kept under the key's reach, the query, the horizon and the stamp of the
    data (service.stats.answers): asked again, a report costs one short
    statement instead of seconds of reading and shaping.
    """
    data = stamp(session, wanted, horizon=horizon)
    key = (form.mimetype, actor.municipality_code, actor.centre_id, wanted, horizon, data)
    kept: Answers = current_app.extensions[ANSWERS]
    body = kept.get(key)
    if body is None:
        stored = StoredAnswers(session, now=now)
        digest = digest_of(key)
        body = stored.load(digest)
        if body is None:
            body = form.encode(report(session, actor, wanted, horizon=horizon, now=now))
            stored.save(digest, body, horizon=horizon)
        kept.put(key, body)
    return body


def prepare_answers(session: Session, *, now: datetime) -> int:
    """Store the default view, as JSON and CSV, for the country and each stats key's reach.

    Run by the daily purge once the months that are over are decided, so that
    the first request of the day for a default view finds its answer ready.
    Returns how many reaches were prepared.
    """
    horizon = last_month_over(now)
    wanted = read_query(
        period=DEFAULT_PERIOD, first=None, last=None, by=DEFAULT_VIEW, horizon=horizon
    )
    reaches = {(None, None)} | {
        (row.municipality_code, row.centre_id)
        for row in session.execute(
            select(ApiKey.municipality_code, ApiKey.centre_id).where(
                ApiKey.revoked_at.is_(None), ApiKey.scopes.contains("stats:read")
            )
        )
    }
    for municipality, centre in reaches:
        actor = Actor(kind="system", id=None, centre_id=centre, municipality_code=municipality)
        for form in (_JSON, _CSV):
            answer_for(session, actor, wanted, horizon=horizon, now=now, form=form)
    return len(reaches)


def init_app(app: Flask) -> None:
    """Give the app its own cache of answers (each test's app starts empty)."""
    app.extensions[ANSWERS] = Answers()
