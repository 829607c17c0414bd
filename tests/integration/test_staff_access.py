"""The access matrix: every staff route, for every role, on its own and on another's objects.

A staff route added later without an entry in one of the ``ROUTES_*`` lists
fails ``test_every_staff_route_is_in_the_matrix``.
"""

from __future__ import annotations

import importlib
import re
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.models import Role
from tests.support import staff_routes_courses
from tests.support.calls import hold_intro, start_course
from tests.support.pages import Citizen
from tests.support.staff import Route, Staff, call, fill, make_account, make_staff, objects, sign_in
from tests.support.world import World


def _lists() -> list[Route]:
    """Return the ROUTES_ list of every ``tests/support/staff_routes_*.py``."""
    routes: list[Route] = []
    for path in sorted(Path(staff_routes_courses.__file__).parent.glob("staff_routes_*.py")):
        module = importlib.import_module(f"tests.support.{path.stem}")
        routes += next(v for k, v in vars(module).items() if k.startswith("ROUTES_"))
    return routes


ROUTES = _lists()
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


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@pytest.fixture
def values(
    client: FlaskClient, session: Session, world: World, staff: Staff, now: datetime
) -> dict[str, str]:
    """Objects of centre A and København for the routes' placeholders."""
    _, course = start_course(client, world)
    hold_intro(session, course["id"], now=now)
    extra = make_account(session, "extra.a", Role.STAFF, centre=world.centre_a)
    session.commit()
    found = objects(session, world, str(course["id"]), extra.id)
    session.commit()  # end the read (without expiring objects), so SQLite writers need not wait
    return found


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


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_a_stranger_is_sent_to_sign_in(
    client: FlaskClient, values: dict[str, str], route: Route
) -> None:
    """Without a session every staff page redirects to the sign-in, and nothing happens."""
    answer = (
        call(client, route.method, fill(route.path, values), _form(route, values))
        if route.method == "get"
        else Citizen(client).post(
            fill(route.path, values), route.form, csrf=Citizen(client).get("/staff/login").csrf()
        )
    )

    assert answer.status == 303
    assert answer.response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("route", ROUTES, ids=_id)
@pytest.mark.parametrize("who", sorted(ROLES))
def test_each_role_gets_what_the_matrix_says(
    client: FlaskClient, staff: Staff, values: dict[str, str], who: str, route: Route
) -> None:
    """Allowed roles succeed on their own objects; every other role is refused with 403."""
    sign_in(client, staff[who])

    answer = call(client, route.method, fill(route.path, values), _form(route, values))

    if ROLES[who] in route.allowed:
        assert answer.status in route.ok, answer.text()[:300]
    else:
        assert answer.status == 403


FOREIGN = [route for route in ROUTES if route.foreign_status is not None]


@pytest.mark.parametrize("route", FOREIGN, ids=_id)
def test_another_centre_or_municipality_is_refused(
    client: FlaskClient, staff: Staff, values: dict[str, str], route: Route
) -> None:
    """Centre B's staff or admin, or another municipality's coordinator, cannot reach it."""
    if Role.STAFF in route.allowed:
        who = "staff_b"
    elif Role.CENTRE_ADMIN in route.allowed:
        who = "admin_b"
    else:
        who = "coordinator_b"
    sign_in(client, staff[who])

    answer = call(client, route.method, fill(route.path, values), _form(route, values))

    assert answer.status == route.foreign_status
