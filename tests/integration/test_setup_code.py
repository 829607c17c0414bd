"""``diskret setup-code``: a new one-time setup code from the command line, for the demo too."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service import create_app, db, migrate
from service.cli import cli
from service.demo_commands import demo_environment
from service.identity import accounts
from service.models import AuditEvent, Role
from tests.support.pages import Citizen, Page


def _invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False
    )
    return result.exit_code, result.output


def _admin(session: Session, username: str = "ops.admin") -> str:
    made = accounts.create(
        session,
        username=username,
        role=Role.ADMIN,
        created_by=None,
        profile=crypto.TEST_PROFILE,
        now=datetime.now(UTC),
    )
    session.commit()
    return made.setup_code


def _sign_in(client: FlaskClient, username: str, password: str) -> Page:
    browser = Citizen(client)
    form = browser.get("/staff/login")
    return browser.submit(form, "/staff/login", {"username": username, "password": password})


def test_setup_code_prints_a_new_code_and_the_old_one_stops_working(
    app: Flask, client: FlaskClient, session: Session, reader: Session
) -> None:
    """The new code signs in and leads to choosing a password; the old code is refused."""
    old = _admin(session)

    code, output = _invoke(app, "setup-code", "OPS.admin")
    new = output.strip().splitlines()[-1]
    refused = _sign_in(client, "ops.admin", old)
    accepted = _sign_in(client, "ops.admin", new)
    next_page = client.get("/staff/")

    assert code == 0, output
    assert "valid for 72 hours" in output
    assert new != old
    assert (refused.status, accepted.status) == (401, 303)
    assert next_page.headers["Location"] == "/staff/password"
    events = reader.execute(select(AuditEvent.action, AuditEvent.actor_kind)).all()
    assert ("account.setup_code_issued", "system") in events


def test_setup_code_for_an_unknown_account_prints_no_code(app: Flask, reader: Session) -> None:
    """An unknown username is an error with status 1, and nothing is recorded."""

    code, output = _invoke(app, "setup-code", "nobody.here")

    assert code == 1
    assert output.strip() == "Error: No staff account has that username."
    assert reader.scalars(select(AuditEvent)).all() == []


def test_setup_code_uses_the_demos_folder_without_any_setting(tmp_path: Path) -> None:
    """With --instance it opens the demo's database and secrets; a folder without one is refused."""
    instance = tmp_path / "instance"
    demo_app = create_app(demo_environment(instance))
    migrate.upgrade(db.engine_of(demo_app))
    with demo_app.app_context():
        old = _admin(db.session(), "demo.admin")
    db.engine_of(demo_app).dispose()
    runner = CliRunner(env={name: None for name in os.environ if name.startswith("DISKRET_")})

    made = runner.invoke(cli, ["--instance", str(instance), "setup-code", "demo.admin"])
    missing = runner.invoke(cli, ["--instance", str(tmp_path), "setup-code", "demo.admin"])
    new = made.output.strip().splitlines()[-1]
    with demo_app.app_context():
        account = accounts.authenticate(
            db.session(),
            "demo.admin",
            new,
            profile=crypto.STAFF_PROFILE,
            setup_code_lifetime=timedelta(hours=72),
            now=datetime.now(UTC),
        )

    assert made.exit_code == 0, made.output
    assert account.must_set_password
    assert new != old
    assert missing.exit_code == 2
    assert "no demo database in" in missing.output
