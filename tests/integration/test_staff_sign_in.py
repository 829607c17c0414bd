"""Staff sign-in hardening: the current password, expiring setup codes, sessions, audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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
from service.models import AuditEvent, Role, StaffAccount, StaffSession
from tests.conftest import app_config
from tests.support.pages import Citizen, Page
from tests.support.staff import PASSWORD, Staff, enrol, forge, make_staff, sign_in, submit
from tests.support.world import World

NEW_PASSWORD = "a brand new long password"


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _setup_code(answer: Page) -> str:
    found = re.search(r'id="setup-code">([^<]+)<', answer.html)
    assert found, "no setup code on the page"
    return unescape(found.group(1))


def _session_rows(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(StaffSession))
    session.commit()  # end the read, so that SQLite's writers need not wait for it
    return count or 0


def _events(session: Session, account: StaffAccount) -> list[AuditEvent]:
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == account.id).order_by(AuditEvent.at)
    ).all()
    session.commit()
    return list(events)


# Changing a password


def test_changing_a_password_needs_the_current_one(client: FlaskClient, staff: Staff) -> None:
    """A wrong or missing current password changes nothing; the right one does."""
    sign_in(client, staff["staff_a"])
    form = {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}

    asked = Citizen(client).get("/staff/password")
    missing = submit(client, "/staff/password", "/staff/password", form)
    wrong = submit(
        client, "/staff/password", "/staff/password", {**form, "current": "not the password"}
    )
    right = submit(client, "/staff/password", "/staff/password", {**form, "current": PASSWORD})

    assert "Nuværende adgangskode" in asked.text()
    assert missing.status == 422
    assert "Skriv din nuværende adgangskode." in missing.text()
    assert wrong.status == 401
    assert "Den nuværende adgangskode er forkert." in wrong.text()
    assert "not the password" not in wrong.html
    assert NEW_PASSWORD not in wrong.html
    assert right.status == 303
    assert sign_in(client, staff["staff_a"], password=PASSWORD).status == 401
    assert sign_in(client, staff["staff_a"], password=NEW_PASSWORD).status == 303


def test_wrong_current_passwords_are_limited_per_session(database_url: str, staff: Staff) -> None:
    """Someone in an open session cannot guess the password through the change form for long."""
    limited = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_LOGIN_ACCOUNT="2 per minute",
        )
    )
    client = limited.test_client()
    form = {"current": "a guess", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}

    try:
        sign_in(client, staff["staff_a"])
        answers = [
            submit(client, "/staff/password", "/staff/password", form).status for _ in range(3)
        ]
        right = submit(client, "/staff/password", "/staff/password", {**form, "current": PASSWORD})
    finally:
        engine_of(limited).dispose()

    assert answers == [401, 401, 429]
    assert right.status == 429
    assert int(right.response.headers["Retry-After"]) > 0


# Setup codes


@pytest.mark.parametrize(("hours_ago", "status"), [(71, 303), (73, 401)])
def test_a_setup_code_opens_the_account_for_72_hours_only(
    client: FlaskClient,
    session: Session,
    staff: Staff,
    world: World,
    now: datetime,
    hours_ago: int,
    status: int,
) -> None:
    """An expired code gets the same page as a wrong password, and the refusal is audited."""
    made = accounts.create(
        session,
        username="new.colleague",
        role=Role.STAFF,
        centre_id=world.centre_a,
        created_by=staff["admin_a"],
        profile=crypto.TEST_PROFILE,
        now=now - timedelta(hours=hours_ago),
    )
    session.commit()
    wrong = sign_in(client, staff["staff_a"], password="not the password at all").text()

    answer = sign_in(client, made.account, password=made.setup_code)

    assert answer.status == status
    if status == 401:
        assert answer.text() == wrong
        assert [e.action for e in _events(session, made.account)][-1] == "account.sign_in_refused"


def test_a_manager_issues_a_new_setup_code_that_replaces_the_password(
    app: Flask, session: Session, staff: Staff
) -> None:
    """For a forgotten password: the old one stops, the sessions end, the new code is shown once."""
    owner, manager = app.test_client(), app.test_client()
    sign_in(owner, staff["staff_a"])
    sign_in(manager, staff["admin_a"])

    answer = submit(manager, "/staff/accounts", f"/staff/accounts/{staff['staff_a'].id}/setup-code")
    own = forge(manager, f"/staff/accounts/{staff['admin_a'].id}/setup-code")

    assert answer.status == 200
    assert "virker i 72 timer" in answer.text()
    code = _setup_code(answer)
    assert Citizen(owner).get("/staff/").response.headers["Location"].startswith("/staff/login")
    assert sign_in(app.test_client(), staff["staff_a"]).status == 401
    newcomer = app.test_client()
    assert sign_in(newcomer, staff["staff_a"], password=code).status == 303
    assert Citizen(newcomer).get("/staff/").response.headers["Location"] == "/staff/password"
    assert own.status == 422
    assert "Skift din adgangskode i stedet" in own.text()
    actions = [e.action for e in _events(session, staff["staff_a"])]
    assert "account.setup_code_issued" in actions


# Sessions


def test_signing_in_again_deletes_the_previous_session_row(
    app: Flask, client: FlaskClient, session: Session, staff: Staff
) -> None:
    """The handle a browser held before is ended on the server, not only dropped from the cookie."""
    sign_in(client, staff["staff_a"])
    old = Citizen(client).cookie("__Host-session")
    assert old
    rows_before = _session_rows(session)

    sign_in(client, staff["staff_b"])

    copy = app.test_client()
    copy.set_cookie("__Host-session", old, domain="localhost", secure=True)
    assert rows_before == 1
    assert _session_rows(session) == 1
    assert Citizen(copy).get("/staff/").response.headers["Location"].startswith("/staff/login")
    assert "staff.b" in Citizen(client).get("/staff/").html


# The audit trail


def test_signing_in_and_out_and_refusals_are_in_the_audit_trail(
    app: Flask, client: FlaskClient, session: Session, staff: Staff
) -> None:
    """Refusals of an existing account, sign-ins and sign-outs; never the password or address."""
    sign_in(client, staff["staff_a"], password="guess number one")
    sign_in(client, staff["staff_a"])
    submit(client, "/staff/password", "/staff/logout")
    unknown = StaffAccount(username="no.such.person")
    sign_in(client, unknown, password="guess number two")
    events = _events(session, staff["staff_a"])
    admin = app.test_client()
    sign_in(admin, staff["admin_a"])

    log = Citizen(admin).get("/staff/audit").text()

    assert [(e.action, e.actor_kind) for e in events] == [
        ("account.sign_in_refused", "system"),
        ("account.signed_in", "staff"),
        ("account.signed_out", "staff"),
    ]
    assert events[1].actor_id == staff["staff_a"].id
    assert "Systemet Login afvist Konto staff.a" in log
    assert "staff.a Logget ind Konto staff.a" in log
    assert "staff.a Logget ud Konto staff.a" in log
    assert "guess number" not in log
    assert "no.such.person" not in log
    assert "127.0.0.1" not in log


def test_wrong_current_passwords_share_one_budget_across_the_forms_that_ask_for_it(
    database_url: str, session: Session, keyring: crypto.Keyring, staff: Staff
) -> None:
    """A wrong password on the change form and one on the two-factor form use up two.

    The account has TOTP, so its two-factor page offers the forms that ask for the password.
    """
    limited = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_LOGIN_ACCOUNT="2 per minute",
        )
    )
    client = limited.test_client()
    change = {"current": "a guess", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    confirm = {"password": "another guess"}

    try:
        sign_in(client, staff["staff_a"])
        enrol(session, keyring, staff["staff_a"], now=datetime.now(UTC))
        spent = [
            submit(client, "/staff/password", "/staff/password", change).status,
            submit(client, "/staff/two-factor", "/staff/two-factor/off", confirm).status,
        ]
        reset = submit(client, "/staff/two-factor", "/staff/two-factor/reset", confirm)
        again = submit(client, "/staff/password", "/staff/password", change)
    finally:
        engine_of(limited).dispose()

    assert spent == [401, 401]
    assert reset.status == 429
    assert again.status == 429
