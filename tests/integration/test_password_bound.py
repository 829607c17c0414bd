"""Sign-ins beyond the argon2 bound are answered "busy" at once instead of queueing."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import argon2
import pytest
from flask import Flask
from sqlalchemy.orm import Session

import crypto
from service import create_app, passwords
from service.db import engine_of
from service.models import Role, StaffAccount
from tests.conftest import app_config
from tests.support.metrics import METRICS_TOKEN, samples_of, scrape, value
from tests.support.staff import make_account, sign_in
from tests.support.world import World


@pytest.fixture
def bounded(database_url: str, world: World) -> Iterator[Flask]:
    """Yield an app allowing one argon2 computation at a time and no wait for it.

    The bound is the process's: this app is made after the world's own app,
    so that its setting is the one in force.
    """
    app = create_app(
        app_config(
            database_url,
            PASSWORD_CONCURRENCY=1,
            PASSWORD_WAIT_MS=0,
            METRICS_TOKEN=METRICS_TOKEN,
        )
    )
    yield app
    engine_of(app).dispose()
    passwords.reset()


@pytest.fixture
def account(bounded: Flask, session: Session, world: World) -> StaffAccount:
    """Return a committed staff account of centre A with the tests' password."""
    made = make_account(session, "staff.bound", Role.STAFF, centre=world.centre_a)
    session.commit()
    return made


@pytest.fixture
def held(account: StaffAccount, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hold the only argon2 slot with a verify that stays inside until the test ends."""
    inside, release = threading.Event(), threading.Event()
    original = argon2.PasswordHasher.verify

    def stay(hasher: argon2.PasswordHasher, stored: str, password: str) -> bool:
        if not inside.is_set():
            inside.set()
            release.wait(timeout=30)
        return original(hasher, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", stay)
    stored = crypto.hash_password("pw", profile=crypto.TEST_PROFILE)
    holder = threading.Thread(
        target=passwords.verify_password,
        args=(stored, "pw"),
        kwargs={"profile": crypto.TEST_PROFILE},
    )
    holder.start()
    assert inside.wait(timeout=30)
    yield
    release.set()
    holder.join(timeout=30)


def test_a_sign_in_finding_every_password_slot_taken_is_answered_busy(
    bounded: Flask, account: StaffAccount, held: None
) -> None:
    """With the one slot taken, a right password and an unknown name both get the same 503."""
    client = bounded.test_client()

    known = sign_in(client, account)
    account.username = "nobody.here"
    unknown = sign_in(client, account)

    assert known.status == 503
    assert unknown.status == 503
    assert known.text() == unknown.text()
    assert known.response.headers["Retry-After"] == "1"


def test_a_busy_sign_in_is_observed_as_a_busy_wait(
    bounded: Flask, account: StaffAccount, held: None
) -> None:
    """The wait of a sign-in turned away is observed under "busy", not "computed"."""
    client = bounded.test_client()
    name = "diskret_password_wait_seconds_count"
    before = samples_of(scrape(client))

    answer = sign_in(client, account)

    after = samples_of(scrape(client))
    assert answer.status == 503
    assert value(after, name, outcome="busy") - value(before, name, outcome="busy") == 1
    assert value(after, name, outcome="computed") == value(before, name, outcome="computed")


def test_a_sign_in_goes_through_while_the_slot_is_free(
    bounded: Flask, account: StaffAccount
) -> None:
    """The same app signs the account in when no other computation holds the slot."""

    answer = sign_in(bounded.test_client(), account)

    assert answer.status == 303
