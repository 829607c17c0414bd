"""Starting a course over HTTP: the token, the intro booking and every way the request can fail."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Booking, Course
from tests.support.calls import bearer, start_course
from tests.support.world import ELSEWHERE, HOME, World

TOKEN_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    courses = session.scalar(select(func.count(Course.id))) or 0
    bookings = session.scalar(select(func.count(Booking.id))) or 0
    return courses, bookings


def _request(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "home_municipality": HOME,
        "centre_id": str(world.centre_a),
        "intro_slot_id": str(world.intro_a[0]),
        "confirm_adult": True,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_creating_a_course_returns_a_grouped_token_and_the_booked_intro(
    client: FlaskClient, world: World
) -> None:
    """A new course answers 201 with a token in five groups of four and its intro booking."""

    response = client.post("/api/v1/courses", json=_request(world))

    assert response.status_code == 201
    body = response.get_json()
    assert TOKEN_SHAPE.match(body["token"])
    assert body["course"]["status"] == "requested"
    [intro] = body["course"]["bookings"]
    assert (intro["kind"], intro["status"]) == ("intro", "booked")
    assert intro["slot"]["id"] == str(world.intro_a[0])


def test_the_token_is_accepted_in_lower_case_and_without_dashes(
    client: FlaskClient, world: World
) -> None:
    """A citizen may type the code in any case, with or without dashes."""
    token, course = start_course(client, world)

    response = client.get("/api/v1/me", headers=bearer(token.lower().replace("-", "")))

    assert response.status_code == 200
    assert response.get_json()["id"] == course["id"]


def test_the_database_keeps_only_a_digest_of_the_token(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The stored course holds a 32-byte digest, never the token itself."""
    token, course = start_course(client, world)

    stored = session.get_one(Course, uuid.UUID(course["id"]))

    assert len(stored.token_digest) == 32
    assert token.replace("-", "").encode() not in stored.token_digest


def test_a_provider_the_home_municipality_does_not_contract_is_refused(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Rule 5: a citizen of Odense cannot choose centre A, and nothing is stored."""

    response = client.post("/api/v1/courses", json=_request(world, home_municipality=ELSEWHERE))

    assert response.status_code == 409
    assert response.get_json()["code"] == "provider_not_contracted"
    assert _counts(session) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"confirm_adult": False}, "confirm_adult"),
        ({"confirm_adult": None}, "confirm_adult"),
        ({"home_municipality": "12"}, "home_municipality"),
        ({"home_municipality": 101}, "home_municipality"),
        ({"centre_id": "not-a-uuid"}, "centre_id"),
        ({"intro_slot_id": None}, "intro_slot_id"),
        ({"name": "Anyone"}, "name"),
        ({"cpr": "0101011234"}, "cpr"),
        ({"language": "fr"}, "language"),
    ],
)
def test_invalid_fields_are_refused_with_the_field_named(
    client: FlaskClient, world: World, session: Session, changes: dict[str, Any], field: str
) -> None:
    """Wrong types, missing fields, unknown fields and a missing 18+ confirmation give 422."""

    response = client.post("/api/v1/courses", json=_request(world, **changes))

    body = response.get_json()
    assert response.status_code == 422
    assert body["code"] == "invalid_request"
    assert field in body["errors"]
    assert _counts(session) == (0, 0)


def test_malformed_json_is_refused(client: FlaskClient, world: World, session: Session) -> None:
    """A body that is not JSON gets 400 with the code malformed_json."""

    response = client.post(
        "/api/v1/courses", data="{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.get_json()["code"] == "malformed_json"
    assert _counts(session) == (0, 0)


@pytest.mark.parametrize("slot", ["intro_past_a", "intro_b", "closing_late_a"])
def test_a_past_foreign_or_wrong_kind_slot_is_refused(
    client: FlaskClient, world: World, session: Session, slot: str
) -> None:
    """A past slot, another centre's slot or a closing slot cannot be booked as the intro."""

    response = client.post(
        "/api/v1/courses", json=_request(world, intro_slot_id=str(getattr(world, slot)))
    )

    assert response.status_code == 409
    assert response.get_json()["code"] == "slot_unavailable"
    assert _counts(session) == (0, 0)


def test_an_unknown_slot_is_refused(client: FlaskClient, world: World, session: Session) -> None:
    """A slot id that does not exist gets the same refusal as an unavailable one."""

    response = client.post("/api/v1/courses", json=_request(world, intro_slot_id=str(uuid.uuid4())))

    assert response.status_code == 409
    assert response.get_json()["code"] == "slot_unavailable"


def test_a_slot_is_never_booked_twice(client: FlaskClient, world: World, session: Session) -> None:
    """Rule 2: the second request for the same intro slot gets slot_taken."""
    start_course(client, world)

    response = client.post("/api/v1/courses", json=_request(world))

    assert response.status_code == 409
    assert response.get_json()["code"] == "slot_taken"
    assert _counts(session) == (1, 1)


def test_a_retry_with_the_same_idempotency_key_gives_the_first_answer(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Rule 7: the same Idempotency-Key returns the same token and books nothing twice."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/courses", json=_request(world), headers=headers)

    second = client.post("/api/v1/courses", json=_request(world), headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _counts(session) == (1, 1)


def test_an_idempotency_key_reused_for_another_request_is_refused(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A key sent again with a different body gets 422 and changes nothing."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    client.post("/api/v1/courses", json=_request(world), headers=headers)

    response = client.post(
        "/api/v1/courses",
        json=_request(world, intro_slot_id=str(world.intro_a[1])),
        headers=headers,
    )

    assert response.status_code == 422
    assert response.get_json()["code"] == "idempotency_key_reused"
    assert _counts(session) == (1, 1)


def test_the_stored_idempotent_answer_does_not_hold_the_token(
    client: FlaskClient, world: World, session: Session
) -> None:
    """The replayable answer is sealed: the token cannot be read from the database."""
    token, _ = start_course(client, world, headers={"Idempotency-Key": str(uuid.uuid4())})

    from tests.support.scan import database_contains

    assert not database_contains(session, token)


@pytest.mark.parametrize("key", ["1", "k" * 31, "k" * 129, "k" * 31 + "!"])
def test_a_key_too_short_or_too_long_is_refused(
    client: FlaskClient, world: World, session: Session, key: str
) -> None:
    """Idempotency keys must be random secrets of a UUID's length, not to collide by chance."""

    response = client.post(
        "/api/v1/courses", json=_request(world), headers={"Idempotency-Key": key}
    )

    assert response.status_code == 422
    assert response.get_json()["code"] == "idempotency_key_invalid"
    assert _counts(session) == (0, 0)


def test_an_anonymous_answer_is_replayed_for_minutes_only(
    client: FlaskClient, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer holding a new code is not handed out again after the retry window."""
    from datetime import UTC, datetime, timedelta

    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/courses", json=_request(world), headers=headers)
    later = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr("service.http.transaction.utcnow", lambda: later)

    again = client.post("/api/v1/courses", json=_request(world), headers=headers)

    assert first.status_code == 201
    assert (again.status_code, again.get_json()["code"]) == (409, "slot_taken")
    assert first.get_json()["token"] not in again.get_data(as_text=True)
    assert _counts(session) == (1, 1)


def test_a_token_keeps_working_after_the_key_rotates_and_is_rekeyed_on_write(
    world: World, database_url: str, session: Session
) -> None:
    """After adding key 2, an old token still works, and its next write moves it to key 2."""
    from service import create_app
    from service.db import engine_of
    from tests.conftest import ROTATED_TOKEN_KEY, app_config

    old_app = create_app(app_config(database_url))
    token, course = start_course(old_app.test_client(), world)
    engine_of(old_app).dispose()
    rotated = create_app(app_config(database_url, TOKEN_KEY=ROTATED_TOKEN_KEY))
    client = rotated.test_client()

    seen = client.get("/api/v1/me", headers=bearer(token))
    moved = client.delete(
        f"/api/v1/me/bookings/{course['bookings'][0]['id']}", headers=bearer(token)
    )

    assert seen.status_code == 200
    assert moved.status_code == 200
    session.expire_all()
    assert session.get_one(Course, uuid.UUID(course["id"])).token_key_version == 2
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    engine_of(rotated).dispose()


def test_a_retried_group_booking_books_one_place(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Rule 7 on /me/bookings: the retry replays the answer and the group holds one booking."""
    from datetime import UTC, datetime

    from tests.support.calls import approved_course

    token, _ = approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[0])
    headers = {**bearer(token), "Idempotency-Key": str(uuid.uuid4())}
    body = {"group_id": str(world.group_a)}

    first = client.post("/api/v1/me/bookings", json=body, headers=headers)
    second = client.post("/api/v1/me/bookings", json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    groups = client.get(f"/api/v1/centres/{world.centre_a}/groups").get_json()
    assert groups[0]["places_left"] == 1


def test_the_same_idempotency_key_from_two_citizens_books_twice(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Answers are kept per caller: another token with the same key is a request of its own."""
    from datetime import UTC, datetime

    from tests.support.calls import approved_course

    now = datetime.now(UTC)
    tokens = [
        approved_course(client, world, session, now=now, slot=slot)[0] for slot in world.intro_a[:2]
    ]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"group_id": str(world.group_a)}

    answers = [
        client.post("/api/v1/me/bookings", json=body, headers={**bearer(t), **key}) for t in tokens
    ]

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].get_json()["id"] != answers[1].get_json()["id"]
    assert "Idempotent-Replayed" not in answers[1].headers


def test_a_retry_spelling_the_code_otherwise_is_replayed_not_booked_again(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A stored answer's caller is the code as authentication reads it, not the header's text."""
    from datetime import UTC, datetime

    from tests.support.calls import approved_course

    token = approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[0])[0]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"group_id": str(world.group_a)}
    first = client.post("/api/v1/me/bookings", json=body, headers={**bearer(token), **key})
    respelled = {"Authorization": "bearer  " + token.lower().replace("-", " ")}

    again = client.post("/api/v1/me/bookings", json=body, headers={**respelled, **key})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()


def test_erasing_the_course_forgets_its_idempotent_answer(
    client: FlaskClient, world: World, session: Session
) -> None:
    """After DELETE /api/v1/me the same create request books afresh, not replaying the code."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/courses", json=_request(world), headers=headers)
    erased = client.delete("/api/v1/me", headers=bearer(first.get_json()["token"]))

    again = client.post("/api/v1/courses", json=_request(world), headers=headers)

    assert (first.status_code, erased.status_code, again.status_code) == (201, 204, 201)
    assert "Idempotent-Replayed" not in again.headers
    assert first.get_json()["token"] not in again.get_data(as_text=True)
    assert _counts(session) == (1, 1)
