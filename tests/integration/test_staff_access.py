"""The access matrix: every staff route, for every role, on its own and on another's objects.

A staff route added later without an entry in one of the ``ROUTES_*`` lists
fails ``test_every_staff_route_is_in_the_matrix``.

How the matrix sends a POST:

- an allowed role opens the route's ``page`` and sends the form shown there
  (``submit``), so the matrix also proves that the page offers the form, with
  a working CSRF token and every field the entry fills, to every allowed role;
- a refused role, or an allowed one on another centre's or municipality's
  object, may not see that page or that form at all. It sends what someone
  with a session could craft by hand (``forge``): the entry's fields with a
  token borrowed from a page the account can see. The refusal must hold all
  the same;
- a stranger has no session: the only token it can hold is the sign-in
  page's, and it is sent to sign in.
"""

from __future__ import annotations

import importlib
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import crypto
from service.models import Booking, BookingKind, BookingStatus, Group, Role, StaffAccount
from tests.support import staff_routes_courses
from tests.support.calls import approved_course, bearer, hold_intro, start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import (
    Route,
    Staff,
    enrol,
    fill,
    forge,
    make_account,
    make_staff,
    objects,
    sign_in,
    submit,
)
from tests.support.world import World


def _lists() -> list[Route]:
    """Return the ROUTES_ list of every ``tests/support/staff_routes_*.py``."""
    routes: list[Route] = []
    for path in sorted(Path(staff_routes_courses.__file__).parent.glob("staff_routes_*.py")):
        module = importlib.import_module(f"tests.support.{path.stem}")
        routes += next(v for k, v in vars(module).items() if k.startswith("ROUTES_"))
    return routes


ROUTES = _lists()
POSTS = [route for route in ROUTES if route.method == "post"]
ROLES = {
    "staff_a": Role.STAFF,
    "admin_a": Role.CENTRE_ADMIN,
    "coordinator": Role.COORDINATOR,
    "admin": Role.ADMIN,
}


def _key(method: str, path: str) -> tuple[str, str]:
    return method, re.sub(r"<[^>]+>|\{\w+\}", "{}", path.split("?", maxsplit=1)[0])


def _form(route: Route, values: dict[str, str]) -> dict[str, str]:
    return {name: fill(value, values) for name, value in route.form.items()}


def _id(route: Route) -> str:
    return f"{route.method} {route.path}"


def _as_offered(client: FlaskClient, route: Route, values: dict[str, str]) -> Page:
    """Call a route as a person whom its page offers it: open the page, send its form."""
    path = fill(route.path, values)
    if route.method == "get":
        return Citizen(client).get(path)
    assert route.page is not None, f"{_id(route)} names no page that shows its form"
    return submit(client, fill(route.page, values), path, _form(route, values))


def _crafted(client: FlaskClient, route: Route, values: dict[str, str]) -> Page:
    """Call a route as someone it is not offered to: a GET, or a POST crafted by hand."""
    path = fill(route.path, values)
    if route.method == "get":
        return Citizen(client).get(path)
    return forge(client, path, _form(route, values))


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@pytest.fixture
def values(
    client: FlaskClient,
    session: Session,
    world: World,
    staff: Staff,
    keyring: crypto.Keyring,
    now: datetime,
) -> dict[str, str]:
    """Objects of centre A and København for the routes' placeholders.

    The extra account has TOTP, so an administrator's account list offers its reset.
    {begun} is a meeting of the group that began an hour ago, with a member who
    took the place before it: its attendance page offers the form. {missed} is a
    course whose citizen did not come to the intro talk: its page offers to close it.
    """
    _, course = start_course(client, world)
    hold_intro(session, course["id"], now=now)
    extra = make_account(session, "extra.a", Role.STAFF, centre=world.centre_a)
    session.commit()
    enrol(session, keyring, extra, now=now)
    found = objects(session, world, str(course["id"]), extra.id)
    session.commit()  # end the read (without expiring objects), so SQLite writers need not wait
    found["begun"] = str(_begun_meeting_with_a_member(client, session, world, now))
    found["missed"] = str(_missed_intro(client, session, world, now))
    return found


def _missed_intro(client: FlaskClient, session: Session, world: World, now: datetime) -> str:
    """Return a course whose citizen did not come to the intro talk, recorded as a no-show."""
    _, course = start_course(client, world, slot=world.intro_a[2])
    hold_intro(session, course["id"], now=now)
    session.execute(
        update(Booking)
        .where(Booking.course_id == uuid.UUID(course["id"]), Booking.kind == BookingKind.INTRO)
        .values(status=BookingStatus.NO_SHOW)
    )
    session.commit()
    return str(course["id"])


def _begun_meeting_with_a_member(
    client: FlaskClient, session: Session, world: World, now: datetime
) -> uuid.UUID:
    """Put a member in group A, then let its last meeting have begun an hour ago."""
    token, member = approved_course(client, world, session, now=now, slot=world.intro_a[1])
    joined = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
    )
    assert joined.status_code == 201, joined.get_json()
    place = session.scalars(
        select(Booking).where(
            Booking.course_id == uuid.UUID(member["id"]), Booking.kind == BookingKind.GROUP
        )
    ).one()
    place.created_at = place.placed_at = now - timedelta(hours=3)
    meeting = session.get_one(Group, world.group_a).sessions[-1]
    meeting.starts_at, meeting.ends_at = now - timedelta(hours=1), now + timedelta(hours=1)
    session.commit()
    return meeting.id


def _signed_in(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    account: StaffAccount,
    route: Route,
    now: datetime,
) -> None:
    """Sign an account in; set up its TOTP afterwards where the route's page needs it."""
    sign_in(client, account)
    if route.enrolled:
        enrol(session, keyring, account, now=now)


def test_every_staff_route_is_in_the_matrix(app: Flask) -> None:
    """Each /staff route and method has exactly one entry (or is the public sign-in)."""
    served = {
        _key(method.lower(), rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff")
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    listed = [_key(route.method, route.path) for route in ROUTES]

    assert len(listed) == len(set(listed))
    assert served == set(listed) | set(staff_routes_courses.PUBLIC)


def test_every_post_names_the_page_that_shows_its_form() -> None:
    """A POST entry without ``page`` could pass with a form no page shows; none lacks it."""
    missing = [_id(route) for route in POSTS if not route.page]

    assert POSTS
    assert missing == []


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_a_stranger_is_sent_to_sign_in(
    client: FlaskClient, values: dict[str, str], route: Route
) -> None:
    """Without a session every staff page redirects to the sign-in, and nothing happens.

    A stranger's only token is the sign-in page's, so a POST carries that one.
    """
    browser = Citizen(client)
    path = fill(route.path, values)
    answer = (
        browser.get(path)
        if route.method == "get"
        else browser.post(path, _form(route, values), csrf=browser.get("/staff/login").csrf())
    )

    assert answer.status == 303
    assert answer.response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("route", ROUTES, ids=_id)
@pytest.mark.parametrize("who", sorted(ROLES))
def test_each_role_gets_what_the_matrix_says(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    values: dict[str, str],
    now: datetime,
    who: str,
    route: Route,
) -> None:
    """Allowed roles succeed through the page that offers the form; every other role gets 403."""
    _signed_in(client, session, keyring, staff[who], route, now)

    if ROLES[who] in route.allowed:
        answer = _as_offered(client, route, values)
        assert answer.status in route.ok, answer.text()[:300]
    else:
        answer = _crafted(client, route, values)
        assert answer.status == 403


FOREIGN = [route for route in ROUTES if route.foreign_status is not None]


@pytest.mark.parametrize("route", FOREIGN, ids=_id)
def test_another_centre_or_municipality_is_refused(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    values: dict[str, str],
    now: datetime,
    route: Route,
) -> None:
    """Centre B's staff or admin, or another municipality's coordinator, cannot reach it."""
    if Role.STAFF in route.allowed:
        who = "staff_b"
    elif Role.CENTRE_ADMIN in route.allowed:
        who = "admin_b"
    else:
        who = "coordinator_b"
    _signed_in(client, session, keyring, staff[who], route, now)

    answer = _crafted(client, route, values)

    assert answer.status == route.foreign_status
