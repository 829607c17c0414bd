"""Reach and refusal: tokens, API keys, scopes and centres (SPEC P4, P9)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import crypto
from service.cli import SCOPES
from service.core.clock import LOCAL
from service.models import ApiKey, Centre
from tests.support.calls import bearer, start_course
from tests.support.world import World, add_api_key

TOMORROW = [
    {
        "starts_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "ends_at": (datetime.now(UTC) + timedelta(days=1, hours=1)).isoformat(),
    }
]
KEY_ROUTES = [
    ("post", "/api/v1/centres/{centre}/slots", {"kind": "intro", "times": TOMORROW}),
    ("post", "/api/v1/centres/{centre}/groups", {"name": "G", "capacity": 5, "times": TOMORROW}),
    ("get", "/api/v1/centres/{centre}/courses", None),
    ("patch", "/api/v1/groups/{group}", {"capacity": 3}),
    ("post", "/api/v1/courses/{course}/decision", {"decision": "approved"}),
    ("post", "/api/v1/courses/{course}/outcome", {"outcome": "dropped"}),
    ("post", "/api/v1/courses/{course}/token", None),
    (
        "put",
        "/api/v1/groups/{group}/sessions/{session}/attendance",
        {"marks": [{"course_id": str(uuid.uuid4()), "present": True}]},
    ),
    ("post", "/api/v1/tokens/verify", {"token": "{token}"}),
    ("get", "/api/v1/stats", None),
    ("get", "/api/v1/stats.csv", None),
]
# Routes of the directory:manage scope: a national or a municipality's key, never a centre's.
DIRECTORY_ROUTES = [
    ("get", "/api/v1/contracts", None),
    ("post", "/api/v1/contracts", {"municipality": "101", "centre_id": "{centre}"}),
    ("post", "/api/v1/contracts/{contract}/end", {"ends_on": "2099-01-01"}),
    ("get", "/api/v1/compliance", None),
    ("post", "/api/v1/centres", {"name": "Center Nord"}),
    ("put", "/api/v1/centres/{centre}", {"name": "Center Nord"}),
    ("post", "/api/v1/centres/{centre}/close", {"closes_on": "2099-01-01"}),
]
SCOPE_OF = {
    "/api/v1/tokens/verify": "tokens:verify",
    "/api/v1/stats": "stats:read",
    "/api/v1/stats.csv": "stats:read",
}
Route = tuple[str, str, object]


def _scope(route: Route) -> str:
    return SCOPE_OF.get(route[1], "centre:manage")


def _call(
    client: FlaskClient, world: World, token: str, course: str, route: Route, key: str | None
) -> tuple[int, dict[str, Any]]:
    method, template, body = route
    path = template.format(
        centre=world.centre_a, group=world.group_a, course=course, session=uuid.uuid4()
    )
    headers = bearer(key) if key else {}
    if body == {"token": "{token}"}:
        body = {"token": token}
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(path, headers=headers, **kwargs)
    return response.status_code, response.get_json(silent=True)


def _key(session: Session, keyring: crypto.Keyring, scope: str, centre: uuid.UUID) -> str:
    key = add_api_key(session, keyring, scopes=scope, centre=session.get_one(Centre, centre))
    session.commit()
    return key


def test_every_key_route_is_in_the_matrix(app: Flask) -> None:
    """A route added later that takes an API key fails here until it has its row."""
    guarded = {
        (method.lower(), re.sub(r"<[^>]+>", "{}", rule.rule)): scope
        for rule in app.url_map.iter_rules()
        if (scope := getattr(app.view_functions[rule.endpoint], "required_scope", None))
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    listed = {
        (method, re.sub(r"\{\w+\}", "{}", path)): _scope(r)
        for r in KEY_ROUTES
        for method, path in [r[:2]]
    } | {
        (method, re.sub(r"\{\w+\}", "{}", path)): "directory:manage"
        for method, path, _ in DIRECTORY_ROUTES
    }

    assert guarded == listed


def _call_directory(
    client: FlaskClient, world: World, route: Route, key: str | None
) -> tuple[int, dict[str, Any]]:
    method, template, body = route
    path = template.format(centre=world.centre_a, contract=uuid.uuid4())
    if isinstance(body, dict):
        body = {name: str(value).format(centre=world.centre_a) for name, value in body.items()}
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(path, headers=bearer(key) if key else {}, **kwargs)
    return response.status_code, response.get_json(silent=True)


@pytest.mark.parametrize("route", DIRECTORY_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_directory_routes_refuse_no_key_a_citizen_token_and_a_key_without_the_scope(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring, route: Route
) -> None:
    """401 without credentials or with a citizen's code; 403 for a national key of other scopes."""
    token, _ = start_course(client, world)
    others = add_api_key(
        session, keyring, scopes=" ".join(s for s in SCOPES if s != "directory:manage")
    )
    session.commit()

    answers = [_call_directory(client, world, route, key) for key in (None, token, others)]

    assert [(status, body["code"]) for status, body in answers] == [
        (401, "credentials_required"),
        (401, "token_rejected"),
        (403, "scope_missing"),
    ]


@pytest.mark.parametrize("route", KEY_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_key_routes_refuse_without_a_key(client: FlaskClient, world: World, route: Route) -> None:
    """Every key route answers 401 without credentials."""
    token, course = start_course(client, world)

    status, body = _call(client, world, token, course["id"], route, None)

    assert (status, body["code"]) == (401, "credentials_required")


@pytest.mark.parametrize("route", KEY_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_key_routes_refuse_a_key_without_the_scope(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring, route: Route
) -> None:
    """A key of the right centre with every other scope gets 403."""
    token, course = start_course(client, world)
    others = " ".join(scope for scope in SCOPES if scope != _scope(route))
    key = _key(session, keyring, others, world.centre_a)

    status, body = _call(client, world, token, course["id"], route, key)

    assert (status, body["code"]) == (403, "scope_missing")


@pytest.mark.parametrize("route", KEY_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_key_routes_refuse_a_revoked_key(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring, route: Route
) -> None:
    """A revoked key with the right scope is refused like an unknown one, at once."""
    token, course = start_course(client, world)
    key = _key(session, keyring, _scope(route), world.centre_a)
    session.execute(update(ApiKey).values(revoked_at=datetime.now(UTC)))
    session.commit()

    status, body = _call(client, world, token, course["id"], route, key)

    assert (status, body["code"]) == (401, "token_rejected")


@pytest.mark.parametrize("route", KEY_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_key_routes_hide_another_centre(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring, route: Route
) -> None:
    """Centre B's key learns nothing of centre A: 404, an invalid token, or only its own row."""
    token, course = start_course(client, world)
    key = _key(session, keyring, _scope(route), world.centre_b)

    status, body = _call(client, world, token, course["id"], route, key)

    if route[1] == "/api/v1/tokens/verify":
        assert (status, body) == (200, {"valid": False, "course": None})
    elif route[1].startswith("/api/v1/stats"):
        by_centre = client.get("/api/v1/stats?by=centre", headers=bearer(key)).get_json()
        assert status == 200
        assert set(by_centre["rows"]) == {str(world.centre_b), "*"}
    else:
        assert status == 404


@pytest.mark.parametrize("route", KEY_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_key_routes_refuse_a_citizen_token(client: FlaskClient, world: World, route: Route) -> None:
    """A citizen's token is no API key."""
    token, course = start_course(client, world)

    status, body = _call(client, world, token, course["id"], route, token)

    assert (status, body["code"]) == (401, "token_rejected")


def test_unknown_and_wrong_tokens_get_byte_identical_answers(
    client: FlaskClient, world: World
) -> None:
    """P4: a well-formed unknown token and an erased one look exactly the same."""
    erased, _ = start_course(client, world)
    client.delete("/api/v1/me", headers=bearer(erased))
    unknown = crypto.generate_token()

    answers = [client.get("/api/v1/me", headers=bearer(t)) for t in (unknown, erased)]

    assert answers[0].status_code == answers[1].status_code == 401
    assert answers[0].get_data() == answers[1].get_data()
    assert answers[0].get_json()["code"] == "token_rejected"


def test_a_token_with_a_typo_is_caught_by_its_check_character(
    client: FlaskClient, world: World
) -> None:
    """A single wrong character gives token_malformed, and the token is not echoed."""
    token, _ = start_course(client, world)
    typo = ("1" if token[0] != "1" else "2") + token[1:]

    response = client.get("/api/v1/me", headers=bearer(typo))

    assert response.status_code == 401
    assert response.get_json()["code"] == "token_malformed"
    assert typo not in response.get_data(as_text=True)


def test_verify_answers_within_the_keys_municipality_only(
    client: FlaskClient, world: World
) -> None:
    """A municipality's key verifies its own citizens' tokens and nothing else."""
    token, course = start_course(client, world)
    unknown = crypto.generate_token()

    known = client.post(
        "/api/v1/tokens/verify", json={"token": token}, headers=bearer(world.verify_home)
    )
    other = client.post(
        "/api/v1/tokens/verify", json={"token": unknown}, headers=bearer(world.verify_home)
    )
    scope = client.post(
        "/api/v1/tokens/verify", json={"token": token}, headers=bearer(world.manage_a)
    )

    assert known.get_json() == {
        "valid": True,
        "course": {
            "status": "requested",
            "centre_id": str(world.centre_a),
            "home_municipality": "101",
        },
    }
    assert other.get_json() == {"valid": False, "course": None}
    assert scope.status_code == 403
    assert course["id"] not in known.get_data(as_text=True)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_keys_last_use_is_kept_as_a_day(
    client: FlaskClient, world: World, reader: Session, method: str
) -> None:
    """Using a key by GET or POST records today's date on it, and nothing finer."""
    if method == "get":
        client.get(f"/api/v1/centres/{world.centre_a}/courses", headers=bearer(world.manage_a))
    else:
        body = {"token": crypto.generate_token()}
        client.post("/api/v1/tokens/verify", json=body, headers=bearer(world.verify_home))

    used = [key.last_used_on for key in reader.scalars(select(ApiKey)) if key.last_used_on]

    assert used == [datetime.now(UTC).astimezone(LOCAL).date()]
