"""When a citizen did something is kept to the minute, no finer (SPEC P1, P3)."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Base, Course
from service.models.base import MinuteDateTime
from tests.support.calls import approved_course, bearer, start_course
from tests.support.pages import Citizen
from tests.support.world import World


def test_a_course_made_over_http_is_stored_to_the_minute(
    client: FlaskClient, session: Session, world: World
) -> None:
    """The stored request and booking times have no seconds, and the answer shows the same."""
    _, course = start_course(client, world)

    stored = session.get_one(Course, uuid.UUID(course["id"]))
    times = [stored.requested_at, *(booking.created_at for booking in stored.bookings)]

    assert len(times) == 2
    assert all((time.second, time.microsecond) == (0, 0) for time in times)
    assert datetime.fromisoformat(course["requested_at"]) == stored.requested_at


def test_every_time_a_citizen_leaves_is_kept_to_the_minute(
    client: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """A whole pathway by API and web: every such column of every row has no seconds."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    client.post(
        "/api/v1/me/bookings",
        json={"group_id": str(world.group_a)},
        headers={**bearer(token), "Idempotency-Key": str(uuid.uuid4())},
    )
    erased, _ = start_course(client, world, slot=world.intro_a[1])
    client.delete("/api/v1/me", headers=bearer(erased))
    citizen = Citizen(client)
    citizen.post("/code", {"code": token}, csrf=citizen.get("/code").csrf())
    session.expire_all()

    kept = [
        (f"{table.name}.{column.name}", value)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, MinuteDateTime)
        for value in session.scalars(select(column))
        if value is not None
    ]
    places = {place for place, _ in kept}

    assert {
        "courses.requested_at",
        "courses.decided_at",
        "bookings.created_at",
        "bookings.placed_at",
        "web_sessions.created_at",
        "idempotent_answers.created_at",
    } <= places
    assert [place for place, time in kept if (time.second, time.microsecond) != (0, 0)] == []
