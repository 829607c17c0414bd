"""Malformed input answers 400 (413 when too big) in the error envelope or as a page, never 500."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from service.models import Group
from tests.support.calls import bearer, start_course
from tests.support.pages import Citizen
from tests.support.staff import group_form, make_staff, sign_in
from tests.support.world import World

SOME_ID = "00000000-0000-4000-8000-000000000000"
ENVELOPE = {"code", "status", "message", "errors"}


def json_routes(app: Flask) -> list[tuple[str, str]]:
    """Return every (method, path) of the JSON API, its path parameters filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<uuid:\w+>", SOME_ID, rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "101", path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return sorted(found)


def assert_refused(response: TestResponse, status: int, code: str | None = None) -> None:
    """Assert an answer in the envelope with the status (and code), without a traceback."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:300]
    body = response.get_json()
    assert set(body) == ENVELOPE
    assert body["status"] == status
    assert code is None or body["code"] == code
    assert "Traceback" not in text


# Characters no field of the service holds: C0 controls, DEL and lone surrogates.
CONTROLS = [chr(point) for point in range(0x20)] + ["\x7f"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
PLAIN = st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=6)


def spoiled(bad: list[str]) -> st.SearchStrategy[str]:
    """Return text with at least one of the bad characters somewhere in it."""
    return st.builds(lambda a, b, c: a + b + c, PLAIN, st.sampled_from(bad), PLAIN)


def send(client: FlaskClient, route: tuple[str, str], **options: Any) -> TestResponse:
    """Send one request to a route."""
    method, path = route
    return client.open(options.pop("path", path), method=method, **options)


def test_the_routes_enumerated_are_the_whole_api(app: Flask) -> None:
    """Every operation of the OpenAPI document is among the routes the tests send to."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = {
        (method.upper(), re.sub(r"\{(\w+)\}", _filled, path))
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }

    routes = set(json_routes(app))

    assert len(operations) >= 20
    assert operations <= routes


def _filled(parameter: re.Match[str]) -> str:
    return "101" if parameter.group(1) == "code" else SOME_ID


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_bad_character_anywhere_is_a_400_on_every_json_route(
    app: Flask, data: st.DataObject
) -> None:
    """In a JSON string or key, a query, the path or a header: 400 invalid_characters."""
    route = data.draw(st.sampled_from(json_routes(app)), label="route")
    where = data.draw(
        st.sampled_from(["json value", "json key", "query", "query name", "path", "header"])
    )
    options: dict[str, Any] = {}
    if where.startswith("json"):
        bad = data.draw(spoiled(CONTROLS + SURROGATES), label="bad")
        body = {"field": bad} if where == "json value" else {bad: "value"}
        options = {"data": json.dumps(body), "content_type": "application/json"}
    elif where.startswith("query"):
        bad = data.draw(spoiled(CONTROLS), label="bad")
        options["query_string"] = {"kind": bad} if where == "query" else {bad: "1"}
    elif where == "path":
        bad = data.draw(spoiled(CONTROLS), label="bad")
        options["path"] = route[1] + quote(bad)
    else:
        # A tab is allowed in a header value (RFC 9110 section 5.5), nothing else.
        bad = data.draw(spoiled([c for c in CONTROLS if c != "\t"]), label="bad")
        options["environ_overrides"] = {"HTTP_IDEMPOTENCY_KEY": bad}

    response = send(app.test_client(), route, **options)

    assert_refused(response, 400, "invalid_characters")


MALFORMED_BODIES = {
    "nested 10,000 deep": "[" * 10_000 + "]" * 10_000,
    "nested 10,000 deep in an object": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "nested 33 deep": "[" * 33 + "]" * 33,
    "NaN": '{"capacity": NaN}',
    "Infinity": '{"capacity": -Infinity}',
    "an integer of 5,000 digits": '{"capacity": ' + "9" * 5_000 + "}",
    "not UTF-8": b'{"token": "\xff"}',
    "an encoded surrogate": b'{"token": "\xed\xa0\x80"}',
    "not JSON": "{'token': 1}",
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_a_malformed_json_body_is_a_400_on_every_json_route(app: Flask, body: str | bytes) -> None:
    """Deep nesting, NaN, huge integers and bytes that are not UTF-8: 400 on each route."""
    client = app.test_client()

    for route in json_routes(app):
        response = send(client, route, data=body, content_type="application/json")

        assert_refused(response, 400)
        assert response.get_json()["code"] in {"malformed_json", "invalid_characters"}, route


@pytest.mark.parametrize(
    "options",
    [
        # A server hands the path's bytes over as latin-1 characters (PEP 3333).
        {"environ_overrides": {"PATH_INFO": "/api/v1/municipalities/\xed\xa0\x80/providers"}},
        {"path": "/api/v1/municipalities/1%00/providers"},
        {"query_string": "kind=%ED%A0%80"},
        {"environ_overrides": {"HTTP_IDEMPOTENCY_KEY": "a" * 32 + "\r\nSet-Cookie: x=1"}},
        {"environ_overrides": {"HTTP_AUTHORIZATION": "Bearer a\nb"}},
    ],
    ids=["surrogate in path", "NUL in path", "surrogate in query", "CR/LF header", "LF header"],
)
def test_surrogates_and_line_breaks_outside_the_body_are_a_400(
    client: FlaskClient, world: World, options: dict[str, Any]
) -> None:
    """An encoded lone surrogate in the path or query, or a line break in a header: 400."""
    sent = dict(options)  # the parameter is shared by the runs on both databases
    path = sent.pop("path", f"/api/v1/centres/{world.centre_a}/slots")

    response = client.get(path, **sent)

    assert_refused(response, 400, "invalid_characters")


def test_a_body_over_the_cap_is_a_413_on_every_json_route(app: Flask) -> None:
    """One byte over MAX_CONTENT_LENGTH: 413 payload_too_large in the envelope."""
    client = app.test_client()
    body = b"[" + b" " * app.config["MAX_CONTENT_LENGTH"] + b"]"

    for route in json_routes(app):
        response = send(client, route, data=body, content_type="application/json")

        assert_refused(response, 413, "payload_too_large")


def test_a_streamed_body_over_the_cap_is_a_413(client: FlaskClient, app: Flask) -> None:
    """Without a Content-Length (chunked), reading stops at the cap with a 413."""
    body = b'{"token": "' + b"a" * app.config["MAX_CONTENT_LENGTH"] + b'"}'

    response = client.post(
        "/api/v1/tokens/verify",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert_refused(response, 413, "payload_too_large")


def test_the_body_cap_is_configurable(app: Flask) -> None:
    """A cap set lower refuses what the default takes."""
    app.config["MAX_CONTENT_LENGTH"] = 100
    body = json.dumps({"token": "a" * 200})

    response = app.test_client().post(
        "/api/v1/tokens/verify", data=body, content_type="application/json"
    )

    assert_refused(response, 413, "payload_too_large")


def test_a_page_form_over_the_cap_is_a_413_page(client: FlaskClient, app: Flask) -> None:
    """Outside the API the refusal is a page in the citizen's language."""
    citizen = Citizen(client)
    csrf = citizen.get("/").csrf()
    filler = "x" * app.config["MAX_CONTENT_LENGTH"]

    answer = citizen.post("/language", {"language": "en", "back": filler}, csrf=csrf)

    assert answer.status == 413
    assert answer.response.mimetype == "text/html"
    assert "Formularen var for stor til at blive sendt." in answer.text()


@pytest.mark.parametrize("bad", ["Onsdags\x00gruppen", "Onsdags\x1bgruppen"], ids=["NUL", "ESC"])
def test_a_control_character_in_a_staff_form_is_a_400_page(
    client: FlaskClient, world: World, session: Session, now: datetime, bad: str
) -> None:
    """A staff form with a NUL (PostgreSQL refuses it in text) gets a page that says why."""
    sign_in(client, make_staff(session, world)["staff_a"])
    staff = Citizen(client)
    groups = staff.get("/staff/groups")
    form = group_form(now, name=bad)

    answer = staff.submit(groups, "/staff/groups", form)

    assert answer.status == 400
    assert answer.response.mimetype == "text/html"
    assert "indeholdt et tegn, der ikke kan bruges" in answer.text()
    session.expire_all()
    assert session.scalar(select(func.count(Group.id)).where(Group.name.contains("gruppen"))) == 0


def test_an_encoded_surrogate_in_a_form_is_a_400_page(client: FlaskClient) -> None:
    """Form bytes that are not UTF-8 (an encoded lone surrogate) get the same page."""
    citizen = Citizen(client)
    csrf = citizen.get("/").csrf()

    response = client.post(
        "/language",
        data=f"csrf_token={csrf}&language=en&back=/%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
        base_url="https://localhost",
    )

    assert response.status_code == 400
    assert "indeholdt et tegn, der ikke kan bruges" in response.get_data(as_text=True)


def test_line_breaks_in_a_form_pass_the_check(client: FlaskClient) -> None:
    """A form may carry tabs and line breaks (a text area): the view decides on them."""
    citizen = Citizen(client)
    csrf = citizen.get("/").csrf()

    answer = citizen.post("/language", {"language": "en", "back": "/book\r\n\t"}, csrf=csrf)

    assert answer.status == 303
    assert answer.response.headers["Location"] == "/book"


def test_a_well_formed_request_still_works(client: FlaskClient, world: World) -> None:
    """The check passes what is well-formed: a JSON booking with an Idempotency-Key."""
    token, course = start_course(client, world, headers={"Idempotency-Key": str(uuid.uuid4())})

    me = client.get("/api/v1/me", headers=bearer(token), query_string={"lang": "da"})

    assert me.status_code == 200
    assert me.get_json()["id"] == course["id"]
