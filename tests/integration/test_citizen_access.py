"""Reach and refusal on the citizen's routes: a code or a web session reaches its own course only.

Every route outside /staff/ is in exactly one list here (the operator's
included) or is a key route (tests/integration/test_access.py): a route added later fails
`test_every_citizen_route_is_classified` until it says who may call it.
"""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.models import Booking, BookingStatus
from tests.integration.test_access import DIRECTORY_ROUTES, KEY_ROUTES
from tests.support.calls import bearer, start_course
from tests.support.pages import Citizen
from tests.support.world import World

# Open to anyone: nothing on them belongs to a course.
PUBLIC = {
    "pages.landing",
    "pages.static",
    "pages.language",
    "book.choose_municipality",
    "book.choose_place",
    "book.choose_time",
    "book.book",
    "book.book_soonest",
    "course.enter_code",
    "course.sign_in",
    "public.list_municipalities",
    "public.list_providers",
    "public.list_slots",
    "public.list_groups",
    "public.create_course",
    "reference.page",
    "reference.asset",
    "api-docs.openapi_json",
    "health.healthz",
    "health.readyz",
    # A calendar feed is reached by the secret in its URL, by whoever holds it
    # (tests/integration/test_calendar_feed.py: a made-up or ended one is 404).
    "feed.fetch",
}
# For the operator's Prometheus only: the metrics token or the metrics address
# (tests/integration/test_metrics.py); to anyone else a path that does not exist.
OPERATOR = {"monitoring.scrape"}
# The API with the citizen's code as the bearer token.
TOKEN_ROUTES = {
    "me.show": ("get", "/api/v1/me", None),
    "me.erase": ("delete", "/api/v1/me", None),
    "me.book": ("post", "/api/v1/me/bookings", {"group_id": "{group}"}),
    "me.cancel": ("delete", "/api/v1/me/bookings/{booking}", None),
    "me.calendar": ("get", "/api/v1/me/calendar.ics", None),
    "me.create_feed": ("post", "/api/v1/me/calendar-feed", None),
    "me.revoke_feed": ("delete", "/api/v1/me/calendar-feed", None),
}
# The pages behind "Jeg har en kode": a server-side session started with the code.
SESSION_ROUTES = {
    "course.show": ("get", "/my", None),
    "course.confirm_cancel": ("get", "/my/bookings/{booking}/cancel", None),
    "course.cancel": ("post", "/my/bookings/{booking}/cancel", {"confirmed": "yes"}),
    "course.news_seen": ("post", "/my/news", {}),
    "course.calendar": ("get", "/my/calendar.ics", None),
    "course.confirm_erase": ("get", "/my/erase", None),
    "course.erase": ("post", "/my/erase", {}),
    "course.join": ("post", "/my/groups/{group}", {}),
    "course.choose_time": ("get", "/my/time/closing", None),
    "course.book_time": ("post", "/my/time/closing", {"slot": "{slot}"}),
    "course.sign_out": ("post", "/logout", {}),
    "book.code_file": ("post", "/code.txt", {}),
    "feed.create": ("post", "/my/calendar-feed", {}),
    "feed.revoke": ("post", "/my/calendar-feed/revoke", {}),
}
Route = tuple[str, str, dict[str, str] | None]


def _as_rule(path: str) -> str:
    """Return a key route's path template as the app spells its rule."""
    for name in ("centre", "group", "course", "session", "contract"):
        path = path.replace("{" + name + "}", f"<uuid:{name}_id>")
    return path


def _fill(text: str, world: World, booking: str) -> str:
    return text.format(group=world.group_a, booking=booking, slot=world.closing_late_a)


def _booking_status(session: Session, booking: str) -> BookingStatus:
    status = session.scalar(select(Booking.status).where(Booking.id == uuid.UUID(booking)))
    session.rollback()  # end the read, so SQLite's next writer need not wait for it
    assert status is not None
    return status


@pytest.fixture
def course_a(client: FlaskClient, world: World) -> tuple[str, str]:
    """Return the code of a course at centre A and the id of its intro booking."""
    token, course = start_course(client, world, slot=world.intro_a[0])
    return token, course["bookings"][0]["id"]


@pytest.fixture
def code_b(client: FlaskClient, world: World) -> str:
    """Return the code of another citizen's course."""
    token, _ = start_course(client, world, slot=world.intro_a[1])
    return token


def test_every_citizen_route_is_classified(app: Flask) -> None:
    """Each route outside /staff/ is public, a code route, a session page, the operator's
    or a key route."""
    key_routes = {
        (method.upper(), _as_rule(path)) for method, path, _ in [*KEY_ROUTES, *DIRECTORY_ROUTES]
    }
    lists = [PUBLIC, set(TOKEN_ROUTES), set(SESSION_ROUTES), OPERATOR]
    places = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff"):
            continue
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        keyed = all((method, rule.rule) in key_routes for method in methods)
        places[rule.endpoint] = sum(rule.endpoint in each for each in lists) + keyed

    assert {endpoint: count for endpoint, count in places.items() if count != 1} == {}


def test_operator_routes_are_not_found_with_a_code_or_an_api_key(
    client: FlaskClient, world: World, course_a: tuple[str, str]
) -> None:
    """A citizen's code or a service's API key opens no operator route: each is a 404."""
    token, _ = course_a
    paths = [
        rule.rule for rule in client.application.url_map.iter_rules() if rule.endpoint in OPERATOR
    ]

    statuses = {
        credential: [client.get(path, headers=bearer(credential)).status_code for path in paths]
        for credential in (token, world.manage_a, world.verify_home)
    }

    assert paths == ["/metrics"]
    assert statuses == {credential: [404] for credential in statuses}


@pytest.mark.parametrize("name", sorted(TOKEN_ROUTES))
def test_code_routes_refuse_no_code_and_an_unknown_one(
    client: FlaskClient, world: World, course_a: tuple[str, str], name: str
) -> None:
    """Without a code 401 asks for one; a well-formed code of no course is rejected."""
    method, template, body = TOKEN_ROUTES[name]
    path = _fill(template, world, course_a[1])
    json = {k: _fill(v, world, course_a[1]) for k, v in body.items()} if body else None

    missing = getattr(client, method)(path, json=json)
    unknown = getattr(client, method)(path, json=json, headers=bearer(crypto.generate_token()))

    assert (missing.status_code, missing.get_json()["code"]) == (401, "credentials_required")
    assert (unknown.status_code, unknown.get_json()["code"]) == (401, "token_rejected")


def test_a_code_cannot_cancel_another_courses_booking(
    client: FlaskClient, world: World, session: Session, course_a: tuple[str, str], code_b: str
) -> None:
    """The booking id of someone else's course is not found, and stays booked."""
    _, booking = course_a

    response = client.delete(f"/api/v1/me/bookings/{booking}", headers=bearer(code_b))

    assert (response.status_code, response.get_json()["code"]) == (404, "not_found")
    assert _booking_status(session, booking) is BookingStatus.BOOKED


@pytest.mark.parametrize("name", sorted(SESSION_ROUTES))
def test_session_pages_send_a_stranger_to_the_code_page(
    client: FlaskClient, world: World, session: Session, course_a: tuple[str, str], name: str
) -> None:
    """Without a session every page and form (CSRF token and all) goes to "type your code"."""
    method, template, form = SESSION_ROUTES[name]
    stranger = Citizen(client)
    csrf = stranger.get("/code").csrf()
    path = _fill(template, world, course_a[1])

    if method == "get":
        page = stranger.get(path)
    else:
        data = {k: _fill(v, world, course_a[1]) for k, v in (form or {}).items()}
        page = stranger.post(path, data, csrf=csrf)

    if name == "course.sign_out":  # signing out without a session is harmless
        assert (page.status, page.response.location) == (303, "/")
    else:
        assert (page.status, page.response.location) == (303, "/code")
    assert _booking_status(session, course_a[1]) is BookingStatus.BOOKED


def test_a_session_cannot_cancel_another_courses_booking(
    client: FlaskClient, world: World, session: Session, course_a: tuple[str, str], code_b: str
) -> None:
    """Signed in with one code, the booking id of another course is refused and stays booked."""
    other = Citizen(client)
    signed_in = other.post("/code", {"code": code_b}, csrf=other.get("/code").csrf())
    _, booking = course_a

    asked = other.get(f"/my/bookings/{booking}/cancel")
    page = other.post(
        f"/my/bookings/{booking}/cancel", {"confirmed": "yes"}, csrf=other.get("/my").csrf()
    )

    assert signed_in.status == 303
    assert (asked.status, page.status) == (404, 404)
    assert _booking_status(session, booking) is BookingStatus.BOOKED
