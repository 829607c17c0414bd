"""One server-side session implementation for citizens and staff, decided once (service.http)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import WebSession
from tests.support.calls import start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _citizen_sign_in(browser: Citizen, code: str) -> Page:
    return browser.submit(browser.get("/code"), "/code", {"code": code})


def _citizen_rows(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(WebSession))
    session.rollback()  # end the read, so SQLite's next writer need not wait for it
    return count or 0


def test_a_citizen_and_a_staff_session_live_side_by_side_in_one_browser(
    client: FlaskClient, world: World, staff: Staff
) -> None:
    """Signing in or out on one side leaves the other side's session signed in."""
    token, _ = start_course(client, world)
    browser = Citizen(client)
    _citizen_sign_in(browser, token)

    sign_in(client, staff["staff_a"])
    citizen_after_staff = browser.get("/my").status
    _citizen_sign_in(browser, token)
    staff_after_citizen = browser.get("/staff/")
    browser.submit(browser.get("/my"), "/logout", {})
    staff_after_citizen_out = browser.get("/staff/")

    assert citizen_after_staff == 200
    assert staff_after_citizen.status == 200
    assert "staff.a" in staff_after_citizen.html
    assert staff_after_citizen_out.status == 200
    assert browser.get("/my").status == 303


def test_citizen_sign_in_deletes_the_browser_previous_citizen_session_row(
    app: Flask, client: FlaskClient, session: Session, world: World
) -> None:
    """The handle a browser held before is ended on the server, not only dropped (ASVS 7.2.4)."""
    first, _ = start_course(client, world, slot=world.intro_a[0])
    second, _ = start_course(client, world, slot=world.intro_a[1])
    browser = Citizen(client)
    _citizen_sign_in(browser, first)
    old = browser.cookie("__Host-session")
    assert old

    _citizen_sign_in(browser, second)

    copy = app.test_client()
    copy.set_cookie("__Host-session", old, domain="localhost", secure=True)
    assert _citizen_rows(session) == 1
    assert Citizen(copy).get("/my").response.headers["Location"] == "/code"
    assert browser.get("/my").status == 200
