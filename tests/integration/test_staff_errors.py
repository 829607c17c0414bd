"""Errors inside the staff workspace: a staff page in Danish, with the menu, in the same status."""

from __future__ import annotations

import uuid

import pytest
import werkzeug.exceptions as wexc
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.support.pages import BASE, Citizen, Page
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import World

# Shown on the staff error page, and never on the citizen's.
STAFF_HOME_LINK = "Tilbage til personalets forside"


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@pytest.fixture
def raising_app(app: Flask) -> Flask:
    """Add routes under /staff/ and outside it that raise an HTTP error or crash."""

    def _raise(name: str) -> str:
        raise getattr(wexc, name)()

    def _crash() -> str:
        raise RuntimeError("secret detail that must not leak")

    for prefix in ("/staff/test-only", "/test-only"):
        app.add_url_rule(f"{prefix}/raise/<name>", f"raise{prefix}", _raise)
        app.add_url_rule(f"{prefix}/crash", f"crash{prefix}", _crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _menu(page: Page) -> str:
    """Return the staff menu's HTML, or "" when the page has none."""
    if 'aria-label="Personale"' not in page.html:
        return ""
    return page.html.split('aria-label="Personale"', 1)[1].split("</nav>", 1)[0]


def _is_staff_error_page(page: Page) -> bool:
    """Tell whether a page is the staff error page and not the citizen's."""
    return (
        '<body class="staff">' in page.html
        and STAFF_HOME_LINK in page.text()
        and "English" not in page.html
        and "Til forsiden" not in page.html
    )


def test_a_missing_course_shows_the_staff_page_with_the_menu(
    client: FlaskClient, staff: Staff
) -> None:
    """A course that does not exist answers 404 inside the workspace, menu and sign-out kept."""
    sign_in(client, staff["staff_a"])

    answer = Citizen(client).get(f"/staff/courses/{uuid.uuid4()}")

    assert answer.status == 404
    assert _is_staff_error_page(answer)
    assert "Siden findes ikke" in answer.text()
    assert "Book for en borger" in _menu(answer)
    assert "Log ud (staff.a)" in answer.html


def test_an_unknown_staff_address_shows_the_staff_page(client: FlaskClient, staff: Staff) -> None:
    """A path under /staff/ that no view serves is the staff 404 too, with the menu."""
    sign_in(client, staff["coordinator"])

    answer = Citizen(client).get("/staff/nothing-here")

    assert answer.status == 404
    assert _is_staff_error_page(answer)
    assert "Kontrakter" in _menu(answer)


def test_a_refused_role_sees_the_staff_page_with_its_own_menu(
    client: FlaskClient, staff: Staff
) -> None:
    """A role that may not open a page gets 403 with its own menu, not the page's."""
    sign_in(client, staff["staff_a"])

    answer = Citizen(client).get("/staff/accounts")

    assert answer.status == 403
    assert _is_staff_error_page(answer)
    assert "Ingen adgang" in answer.text()
    assert "Forløb" in _menu(answer)
    assert "Konti" not in _menu(answer)


def test_an_expired_form_shows_the_staff_page(client: FlaskClient, staff: Staff) -> None:
    """A form sent without its CSRF token answers 400 inside the workspace, and changes nothing."""
    sign_in(client, staff["staff_a"])

    answer = Citizen(client).post("/staff/logout", {}, csrf=None)

    assert answer.status == 400
    assert _is_staff_error_page(answer)
    assert "Siden var udløbet" in answer.text()
    assert "Forløb" in _menu(answer)
    assert Citizen(client).get("/staff/courses").status == 200


def test_a_wrong_method_keeps_its_allow_header(client: FlaskClient, staff: Staff) -> None:
    """A 405 under /staff/ is the staff page and still names the allowed methods."""
    sign_in(client, staff["staff_a"])

    answer = Citizen(client).get("/staff/logout")

    assert answer.status == 405
    assert _is_staff_error_page(answer)
    assert "POST" in answer.response.headers["Allow"]


def test_without_a_session_the_staff_page_has_no_menu(client: FlaskClient, world: World) -> None:
    """Nobody signed in: the staff error page, without menu or sign-out."""
    answer = Citizen(client).get("/staff/nothing-here")

    assert answer.status == 404
    assert _is_staff_error_page(answer)
    assert _menu(answer) == ""
    assert "Log ud" not in answer.html


@pytest.mark.parametrize("name", ["Forbidden", "UnprocessableEntity", "TooManyRequests"])
def test_each_http_error_under_staff_is_the_staff_page(
    raising_app: Flask, staff: Staff, name: str
) -> None:
    """Whatever a staff view raises answers in its own status with the staff page and menu."""
    client = raising_app.test_client()
    sign_in(client, staff["admin"])

    answer = Citizen(client).get(f"/staff/test-only/raise/{name}")

    assert answer.status == getattr(wexc, name).code
    assert _is_staff_error_page(answer)
    assert "API-nøgler" in _menu(answer)


def test_a_crash_under_staff_is_the_staff_page_without_details(
    raising_app: Flask, staff: Staff
) -> None:
    """A 500 inside the workspace keeps the menu and says nothing of the exception."""
    client = raising_app.test_client()
    sign_in(client, staff["staff_a"])

    answer = Citizen(client).get("/staff/test-only/crash")

    assert answer.status == 500
    assert _is_staff_error_page(answer)
    assert "Der opstod en fejl" in answer.text()
    assert "Forløb" in _menu(answer)
    assert "secret detail" not in answer.html
    assert "RuntimeError" not in answer.html


def test_the_citizen_side_keeps_the_citizens_error_page(raising_app: Flask) -> None:
    """Outside /staff/ an error is still the citizen's page, with its language button."""
    client = raising_app.test_client()

    missing = client.get("/test-only/raise/NotFound", base_url=BASE)
    crash = client.get("/test-only/crash", base_url=BASE)

    for response in (missing, crash):
        html = response.get_data(as_text=True)
        assert "English" in html
        assert STAFF_HOME_LINK not in html
        assert '<body class="staff">' not in html
    assert (missing.status_code, crash.status_code) == (404, 500)
    assert "secret detail" not in crash.get_data(as_text=True)
