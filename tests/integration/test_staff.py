"""Staff sign-in, sessions that can be revoked, and the centre's course pages."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import crypto
from service import create_app
from service.db import engine_of
from service.identity import accounts
from service.models import AuditEvent, Course, CourseStatus, Role, StaffAccount
from tests.conftest import app_config
from tests.support.calls import bearer, hold_intro, start_course
from tests.support.pages import Citizen
from tests.support.staff import PASSWORD, Staff, forge, make_staff, sign_in, submit
from tests.support.world import HOME, World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def test_signing_in_opens_the_day_and_signing_out_ends_it(
    client: FlaskClient, staff: Staff
) -> None:
    """A right password leads to the day view; after signing out, the pages send you to sign in."""
    answer = sign_in(client, staff["staff_a"])
    assert answer.status == 303
    day = Citizen(client).get("/staff/")
    assert day.status == 200
    assert "Ingen samtaler i dag." in day.text()

    submit(client, "/staff/password", "/staff/logout")

    assert Citizen(client).get("/staff/").response.headers["Location"].startswith("/staff/login")


def test_unknown_account_and_wrong_password_get_the_same_answer(
    client: FlaskClient, staff: Staff
) -> None:
    """Same status, same page: the answer never tells whether the account exists."""
    wrong = sign_in(client, staff["staff_a"], password="not the password at all")
    unknown = sign_in(client, StaffAccount(username="nobody.here"), password="whatever it is")

    assert wrong.status == unknown.status == 401
    assert wrong.text() == unknown.text()
    assert "Forkert brugernavn eller adgangskode." in wrong.text()


@pytest.mark.parametrize("revoke", ["logout", "password", "deactivate"])
def test_revocation_ends_an_existing_session_cookie(
    app: Flask, session: Session, staff: Staff, world: World, revoke: str, now: datetime
) -> None:
    """Signing out, a new password, a switched-off account: each ends the other session."""
    other, mine = app.test_client(), app.test_client()
    sign_in(other, staff["staff_a"])
    assert Citizen(other).get("/staff/").status == 200

    if revoke == "logout":
        cookie = other.get_cookie("__Host-session", domain="localhost")
        assert cookie
        mine.set_cookie("__Host-session", cookie.value, domain="localhost", secure=True)
        submit(mine, "/staff/password", "/staff/logout")
    elif revoke == "password":
        sign_in(mine, staff["staff_a"])
        new = "a brand new long password"
        changed = submit(
            mine,
            "/staff/password",
            "/staff/password",
            {"current": PASSWORD, "password": new, "repeat": new},
        )
        assert changed.status == 303
        assert Citizen(mine).get("/staff/").status == 200
    else:
        account = session.get_one(StaffAccount, staff["staff_a"].id)
        accounts.deactivate(session, staff["admin_a"], account.id, now=now)
        session.commit()

    again = Citizen(other).get("/staff/")
    assert again.status == 303
    assert again.response.headers["Location"].startswith("/staff/login")


def test_a_new_account_signs_in_with_its_setup_code_and_must_choose_a_password(
    client: FlaskClient, session: Session, staff: Staff, world: World, now: datetime
) -> None:
    """The setup code opens only the password page; a weak password is refused."""
    made = accounts.create(
        session,
        username="new.colleague",
        role=Role.STAFF,
        centre_id=world.centre_a,
        created_by=staff["admin_a"],
        profile=crypto.TEST_PROFILE,
        now=now,
    )
    session.commit()

    sign_in(client, made.account, password=made.setup_code)
    forced = Citizen(client).get("/staff/courses")
    weak = submit(
        client, "/staff/password", "/staff/password", {"password": "short", "repeat": "short"}
    )
    strong = "another long enough password"
    chosen = submit(
        client, "/staff/password", "/staff/password", {"password": strong, "repeat": strong}
    )

    assert forced.response.headers["Location"] == "/staff/password"
    assert weak.status == 422
    assert "mindst 12 tegn" in weak.text()
    assert chosen.status == 303
    assert Citizen(client).get("/staff/courses").status == 200


@pytest.mark.parametrize("common", ["Password123!", "iloveyou2024", "qwertyuiop123"])
def test_a_common_password_is_refused_with_a_clear_message(
    client: FlaskClient, session: Session, staff: Staff, world: World, now: datetime, common: str
) -> None:
    """ASVS 6.2.4: a long but common password is refused, and the setup code still rules."""
    made = accounts.create(
        session,
        username="new.colleague",
        role=Role.STAFF,
        centre_id=world.centre_a,
        created_by=staff["admin_a"],
        profile=crypto.TEST_PROFILE,
        now=now,
    )
    session.commit()
    sign_in(client, made.account, password=made.setup_code)

    refused = submit(
        client, "/staff/password", "/staff/password", {"password": common, "repeat": common}
    )

    assert refused.status == 422
    assert "for almindelig eller for let at gætte" in refused.text()
    assert common not in refused.html
    session.expire_all()
    assert session.get_one(StaffAccount, made.account.id).must_set_password


def test_login_failures_are_limited_with_retry_after(database_url: str, staff: Staff) -> None:
    """After the configured failures for one account the answer is 429 with Retry-After."""
    limited = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_LOGIN_ACCOUNT="3 per minute",
        )
    )
    client = limited.test_client()

    try:
        answers = [
            sign_in(client, staff["staff_b"], password="wrong guess").status for _ in range(4)
        ]
        blocked = sign_in(client, staff["staff_b"])
    finally:
        engine_of(limited).dispose()

    assert answers == [401, 401, 401, 429]
    assert blocked.status == 429
    assert int(blocked.response.headers["Retry-After"]) > 0


def _requested_course(client: FlaskClient, world: World, session: Session, now: datetime) -> str:
    _, course = start_course(client, world)
    hold_intro(session, course["id"], now=now)
    return str(course["id"])


def test_staff_approve_and_close_a_course(
    client: FlaskClient, session: Session, staff: Staff, world: World, now: datetime
) -> None:
    """The decision and the outcome are recorded from the course page, and audited by account."""
    course_id = _requested_course(client, world, session, now)
    sign_in(client, staff["staff_a"])

    decided = submit(
        client,
        f"/staff/courses/{course_id}",
        f"/staff/courses/{course_id}/decision",
        {"decision": "approved"},
    )
    closed = submit(
        client,
        f"/staff/courses/{course_id}",
        f"/staff/courses/{course_id}/outcome",
        {"outcome": "dropped"},
    )

    shown = Citizen(client).get(f"/staff/courses/{course_id}").text()

    assert (decided.status, closed.status) == (303, 303)
    assert "mødt" in shown  # in Danish, like the rest of the page
    assert "attended" not in shown
    assert "Bopælskommune København (101)" in shown  # the name, not the code alone
    session.expire_all()
    assert session.get_one(Course, uuid.UUID(course_id)).status is CourseStatus.CANCELLED
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == staff["staff_a"].id)
    ).all()
    assert {"course.approved", "course.cancelled"} <= set(actions)


def test_a_decision_before_the_intro_is_refused_with_a_message(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """The rule's refusal reaches the page, and nothing changes."""
    _, course = start_course(client, world)
    sign_in(client, staff["staff_a"])

    refused = submit(
        client,
        f"/staff/courses/{course['id']}",
        f"/staff/courses/{course['id']}/decision",
        {"decision": "approved"},
    )

    assert refused.status == 409
    assert "ikke fundet sted endnu" in refused.text()
    session.expire_all()
    assert session.get_one(Course, uuid.UUID(course["id"])).status is CourseStatus.REQUESTED


def test_a_lost_code_is_replaced_in_person_and_the_old_one_stops(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """The new code is shown once; the old one is refused by the API and ends web sessions."""
    token, course = start_course(client, world)
    sign_in(client, staff["admin_a"])

    page = submit(client, f"/staff/courses/{course['id']}", f"/staff/courses/{course['id']}/token")

    assert page.status == 200
    new = "-".join(page.html.split('<span class="group">')[i][:4] for i in range(1, 6))
    assert crypto.normalize_token(new)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(new)).status_code == 200


def test_booking_for_a_caller_shows_the_code_once(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """The form shown after choosing the municipality books: time, 18+; no 18+ books nothing."""
    sign_in(client, staff["staff_a"])
    browser = Citizen(client)
    times = browser.get(f"/staff/book?municipality={HOME}")
    slot = times.radio_values("slot")[0]

    no_adult = browser.submit(times, "/staff/book", {"slot": slot})
    booked = browser.submit(no_adult, "/staff/book", {"slot": slot, "adult": "y"})

    assert no_adult.status == 422
    assert "18+" in no_adult.text()
    kept = no_adult.form("/staff/book").values
    assert (kept["municipality"], kept["slot"]) == (HOME, slot)
    assert booked.status == 200
    assert "vises kun denne ene gang" in booked.text()
    count = session.scalar(select(func.count()).select_from(Course))
    assert count == 1
    session.rollback()


def test_booking_for_a_caller_lists_the_municipalities_in_danish_order(
    client: FlaskClient, staff: Staff, world: World
) -> None:
    """The staff's municipality choice is in the citizen's order: Aabenraa first, Ærø last."""
    sign_in(client, staff["staff_a"])

    page = Citizen(client).get("/staff/book")

    shown = [unescape(n) for n in re.findall(r'<option value="\d{3}">([^<]+)</option>', page.html)]
    assert len(shown) == 98
    assert shown[:3] == ["Aabenraa", "Aalborg", "Aarhus"]
    assert shown[-1] == "Ærø"


def test_another_centres_course_is_not_found(
    client: FlaskClient, session: Session, staff: Staff, world: World, now: datetime
) -> None:
    """Staff of centre B get 404 for centre A's course, by page and by form post."""
    course_id = _requested_course(client, world, session, now)
    sign_in(client, staff["staff_b"])

    assert Citizen(client).get(f"/staff/courses/{course_id}").status == 404
    posted = forge(client, f"/staff/courses/{course_id}/decision", {"decision": "approved"})
    assert posted.status == 404
    session.expire_all()
    assert session.get_one(Course, uuid.UUID(course_id)).status is CourseStatus.REQUESTED


def test_the_password_is_rehashed_when_the_profile_changes(
    client: FlaskClient, session: Session, staff: Staff
) -> None:
    """A hash made under other parameters is replaced at the next successful sign-in."""
    account = session.get_one(StaffAccount, staff["staff_a"].id)
    older = crypto.PasswordProfile(
        time_cost=2, memory_cost=8, parallelism=1, hash_len=16, salt_len=8
    )
    account.password_hash = crypto.hash_password(PASSWORD, profile=older)
    session.commit()
    before = account.password_hash

    assert sign_in(client, account).status == 303

    session.expire_all()
    assert session.get_one(StaffAccount, account.id).password_hash != before
