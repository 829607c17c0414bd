"""Small helpers for calling the API in tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.models import Booking, BookingKind, Slot
from tests.support.world import HOME, World


def bearer(credential: str) -> dict[str, str]:
    """Return the Authorization header for a token or an API key."""
    return {"Authorization": f"Bearer {credential}"}


def start_course(
    client: FlaskClient,
    world: World,
    *,
    slot: uuid.UUID | None = None,
    centre: uuid.UUID | None = None,
    home: str = HOME,
    headers: dict[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Create a course through the API and return its token and course."""
    response = client.post(
        "/api/v1/courses",
        json={
            "home_municipality": home,
            "centre_id": str(centre or world.centre_a),
            "intro_slot_id": str(slot or world.intro_a[0]),
            "confirm_adult": True,
        },
        headers=headers or {},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["token"], body["course"]


def hold_intro(session: Session, course_id: str, *, now: datetime) -> None:
    """Move the course's intro talk into the past, as if it had taken place an hour ago."""
    slot_id = session.scalar(
        select(Booking.slot_id).where(
            Booking.course_id == uuid.UUID(course_id), Booking.kind == BookingKind.INTRO
        )
    )
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))
    )
    session.commit()


def approved_course(
    client: FlaskClient, world: World, session: Session, *, now: datetime, slot: uuid.UUID
) -> tuple[str, dict[str, Any]]:
    """Create a course, hold its intro and approve it; return its token and course."""
    token, course = start_course(client, world, slot=slot)
    hold_intro(session, course["id"], now=now)
    response = client.post(
        f"/api/v1/courses/{course['id']}/decision",
        json={"decision": "approved"},
        headers=bearer(world.manage_a),
    )
    assert response.status_code == 200, response.get_json()
    return token, course
