"""What a new course costs the database, and that the cheaper path keeps every answer it gave.

docs/performance.md counts the statements of one booking; the first test
holds that count, so a change that adds a round trip to the hot path shows
up here before it shows up in the benchmark. On PostgreSQL the course and
its booking are one statement; SQLite, which has no data-modifying CTEs,
sends them apart.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import crypto
from service.models import Booking, Course, Tally
from tests.support.calls import bearer, start_course
from tests.support.sql import Sent, sent_to
from tests.support.world import ELSEWHERE, HOME, World

UNKNOWN_MUNICIPALITY = "999"  # Three digits, as the schema asks, but no municipality has it.


def _request(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "home_municipality": HOME,
        "centre_id": str(world.centre_a),
        "intro_slot_id": str(world.intro_a[0]),
        "confirm_adult": True,
    }
    return body | changes


@pytest.fixture
def sent(engine: Engine) -> Iterator[list[Sent]]:
    """Yield what the app sends to the database from now on."""
    with sent_to(engine) as sent:
        yield sent


def _statements(sent: list[Sent]) -> list[str]:
    """Return the SQL sent, transaction control left out, on one line each."""
    return [
        " ".join(statement.split())
        for statement, _ in sent
        if statement.split(maxsplit=1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}
    ]


def _written(session: Session) -> tuple[int | None, ...]:
    """Count the courses, the bookings and what was counted, ending the read (SQLite waits)."""
    session.expire_all()
    written = tuple(
        session.scalar(select(number))
        for number in (
            func.count(Course.id),
            func.count(Booking.id),
            func.coalesce(func.sum(Tally.count), 0),
        )
    )
    session.rollback()
    return written


def test_a_new_course_sends_a_locking_read_and_its_writes_and_reads_nothing_again(
    client: FlaskClient, world: World, sent: list[Sent], engine: Engine
) -> None:
    """The rules ride on the course's insert (with its booking, on PostgreSQL), then the count."""

    response = client.post("/api/v1/courses", json=_request(world))

    statements = _statements(sent)
    assert response.status_code == 201
    assert "FROM slots JOIN centres" in statements[0]
    writes = statements[1:]
    assert len(writes) == (2 if engine.dialect.name == "postgresql" else 3)
    inserted = [table for write in writes for table in re.findall(r"INSERT INTO (\w+)", write)]
    assert inserted == ["courses", "bookings", "tallies"]
    assert writes[-1].startswith("INSERT INTO tallies")
    answer = response.get_json()["course"]
    assert answer["centre"]["name"] == "Centre A"
    assert answer["bookings"][0]["slot"]["id"] == str(world.intro_a[0])


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"home_municipality": ELSEWHERE}, 409),  # no contract with the centre
        ({"home_municipality": UNKNOWN_MUNICIPALITY}, 422),
        ({}, 409),  # the slot is taken by the course booked first
    ],
)
def test_a_refused_course_writes_and_counts_nothing(
    client: FlaskClient, world: World, session: Session, changes: dict[str, str], status: int
) -> None:
    """Where a rule says no, neither the course, nor a booking, nor its count is written."""
    start_course(client, world)
    assert _written(session) == (1, 1, 1)

    response = client.post("/api/v1/courses", json=_request(world, **changes))

    assert response.status_code == status
    assert _written(session) == (1, 1, 1)


def test_a_reference_already_taken_is_drawn_again(
    client: FlaskClient, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique reference is left to its constraint: a clash draws anew and still books once."""
    _, first = start_course(client, world)
    draws = iter([first["reference"], "ZZZZ-ZZZZ"])
    monkeypatch.setattr(crypto, "generate_reference", lambda: next(draws))

    response = client.post(
        "/api/v1/courses", json=_request(world, intro_slot_id=str(world.intro_a[1]))
    )

    assert response.status_code == 201
    assert response.get_json()["course"]["reference"] == "ZZZZ-ZZZZ"
    assert _written(session) == (2, 2, 2)


@pytest.mark.parametrize("slot", ["intro_a", "intro_past_a", "unknown"])
def test_an_unknown_municipality_is_named_before_anything_about_the_slot(
    client: FlaskClient, world: World, session: Session, slot: str
) -> None:
    """A home municipality no one has is refused as input, whatever the slot."""
    slot_id = {
        "intro_a": world.intro_a[0],
        "intro_past_a": world.intro_past_a,
        "unknown": uuid.uuid4(),
    }[slot]

    response = client.post(
        "/api/v1/courses",
        json=_request(world, home_municipality=UNKNOWN_MUNICIPALITY, intro_slot_id=str(slot_id)),
    )

    body = response.get_json()
    assert response.status_code == 422
    assert (body["code"], list(body["errors"])) == ("invalid_input", ["home_municipality"])
    session.expire_all()
    assert session.scalar(select(func.count(Course.id))) == 0


def test_a_taken_slot_is_named_before_a_missing_contract(client: FlaskClient, world: World) -> None:
    """Rule 2 answers before rule 5, as it did when each was its own query."""
    start_course(client, world)

    response = client.post("/api/v1/courses", json=_request(world, home_municipality=ELSEWHERE))

    assert response.status_code == 409
    assert response.get_json()["code"] == "slot_taken"


def test_reading_a_course_sends_one_statement_however_many_bookings_it_has(
    client: FlaskClient, world: World, sent: list[Sent]
) -> None:
    """GET /me loads the course with its centre and its bookings with their slots, joined."""
    token, course = start_course(client, world)
    first = course["bookings"][0]["id"]
    moved = client.delete(f"/api/v1/me/bookings/{first}", headers=bearer(token))
    booked = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.intro_a[1])}, headers=bearer(token)
    )
    assert (moved.status_code, booked.status_code) == (200, 201)
    sent.clear()

    response = client.get("/api/v1/me", headers=bearer(token))

    statements = _statements(sent)
    assert response.status_code == 200
    assert len(statements) == 1, statements
    for table in ("courses", "centres", "bookings", "slots"):
        assert f"JOIN {table}" in statements[0] or f"FROM {table}" in statements[0]
    shown = response.get_json()
    assert shown["centre"]["name"] == "Centre A"
    assert [(b["status"], b["slot"]["id"]) for b in shown["bookings"]] == [
        ("cancelled", str(world.intro_a[0])),
        ("booked", str(world.intro_a[1])),
    ]


def test_verifying_a_code_sends_the_key_lookup_and_the_code_lookup(
    client: FlaskClient, world: World, sent: list[Sent]
) -> None:
    """A key used today already is looked up and the code is looked up: nothing else."""
    token, _ = start_course(client, world)
    verify = {"json": {"token": token}, "headers": bearer(world.verify_home)}
    assert client.post("/api/v1/tokens/verify", **verify).status_code == 200
    sent.clear()

    response = client.post("/api/v1/tokens/verify", **verify)

    statements = _statements(sent)
    assert response.get_json()["valid"] is True
    assert len(statements) == 2, statements
    assert "FROM api_keys" in statements[0]
    assert "FROM courses" in statements[1]
