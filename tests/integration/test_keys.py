"""Key rotation and retirement: rotate, retire, restart, and the retired key alone opens nothing.

Each test starts apps of its own on the same database: one with key 1 only
(before the rotation), one with keys 1 and 2 (rotated), and one with key 2
only (the old key dropped from the configuration).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service import create_app, db, migrate, webhooks
from service.cli import cli
from service.db import engine_of
from service.identity import two_factor
from service.models import (
    ApiKey,
    Course,
    Delivery,
    DeliveryStatus,
    StaffAccount,
    StaffSession,
    Webhook,
    WebSession,
)
from service.models.access import IdempotentAnswer
from tests.conftest import ROTATED_TOKEN_KEY, TEST_TOKEN_KEY, app_config
from tests.support import databases
from tests.support.calls import bearer, start_course
from tests.support.pages import Citizen
from tests.support.staff import Staff, make_staff, sign_in, sign_in_with_code, totp_at
from tests.support.world import World, build_world

NEW_KEY_ONLY = ROTATED_TOKEN_KEY.split(",")[1]
OLD_ONLY = crypto.Keyring.parse(TEST_TOKEN_KEY)
ROTATED = crypto.Keyring.parse(ROTATED_TOKEN_KEY)
HOOK_URL = "https://receiver.invalid/hook"


@dataclass
class Clock:
    """The instant the staff code step sees; tests move it on by whole steps."""

    now: datetime

    def __call__(self) -> datetime:
        """Return the instant."""
        return self.now

    def step(self) -> datetime:
        """Move on by one 30-second TOTP step; return the new instant."""
        self.now += timedelta(seconds=30)
        return self.now


@pytest.fixture
def apps(database_url: str) -> Iterator[Callable[[str], Flask]]:
    """Yield a maker of apps on one database with a given DISKRET_TOKEN_KEY; empty it afterwards."""
    made: list[Flask] = []

    def make(token_key: str) -> Flask:
        made.append(create_app(app_config(database_url, TOKEN_KEY=token_key)))
        return made[-1]

    yield make
    databases.empty_all_tables(engine_of(made[0]))
    for app in made:
        engine_of(app).dispose()


@pytest.fixture
def app(apps: Callable[[str], Flask]) -> Flask:
    """Return the app before the rotation: key 1 only."""
    return apps(TEST_TOKEN_KEY)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Fix the code step's clock five seconds into a TOTP step, so no code is on a boundary."""
    start = int(datetime.now(UTC).timestamp()) // 30 * 30 + 5
    fixed = Clock(datetime.fromtimestamp(start, UTC))
    monkeypatch.setattr("service.staff.two_factor.utcnow", fixed)
    return fixed


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@dataclass
class Stored:
    """What was stored under key 1, with the secrets its holders keep."""

    token: str
    course_id: uuid.UUID
    api_keys: list[str]
    hook_id: uuid.UUID
    hook_secret: str
    totp_account: StaffAccount
    totp_secret: str


def _store_under_key_one(
    app: Flask, session: Session, world: World, staff: Staff, clock: Clock
) -> Stored:
    """Make a course, a webhook, a TOTP account, a web and a staff session under key 1."""
    client = app.test_client()
    token, course = start_course(client, world)
    citizen = Citizen(app.test_client())
    assert citizen.post("/code", {"code": token}, csrf=citizen.get("/code").csrf()).status == 303
    hook, hook_secret = webhooks.create(
        session,
        OLD_ONLY,
        name="Kalender",
        url=HOOK_URL,
        events=("course.approved",),
        centre_id=world.centre_a,
        municipality_code=None,
        now=clock.now,
    )
    account = staff["staff_a"]
    secret = two_factor.start_enrolment(account).secret
    two_factor.confirm_enrolment(
        session,
        OLD_ONLY,
        account,
        secret,
        totp_at(secret, clock.now),
        profile=crypto.TEST_PROFILE,
        now=clock.now,
    )
    session.commit()
    assert sign_in(app.test_client(), staff["admin"]).status == 303
    stored_answer = client.post(
        "/api/v1/courses",
        json={
            "home_municipality": "101",
            "centre_id": str(world.centre_a),
            "intro_slot_id": str(world.intro_a[1]),
            "confirm_adult": True,
        },
        headers={"Idempotency-Key": "key-rotation-test-" + "0" * 24},
    )
    assert stored_answer.status_code == 201
    keys = [world.manage_a, world.manage_b, world.verify_home, world.unscoped_a]
    return Stored(
        token,
        uuid.UUID(course["id"]),
        keys,
        hook.id,
        hook_secret,
        account,
        secret,
    )


def _invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))
    return result.exit_code, result.output


def _what_the_old_key_alone_opens(session: Session, stored: Stored) -> list[str]:
    """Try every stored digest and sealed value with a keyring holding only key 1."""
    session.expire_all()
    opened = []
    digests = set(session.scalars(select(Course.token_digest)))
    if digests & {
        d.value for d in OLD_ONLY.candidates(crypto.normalize_token(stored.token), purpose="token")
    }:
        opened.append("course code")
    key_digests = set(session.scalars(select(ApiKey.digest)))
    for key in stored.api_keys:
        if key_digests & {d.value for d in OLD_ONLY.candidates(key, purpose="api-key")}:
            opened.append("api key")
    for account in session.scalars(
        select(StaffAccount).where(StaffAccount.totp_secret.is_not(None))
    ):
        sealing = OLD_ONLY.derive_key(account.id.bytes, purpose=two_factor.SECRET_PURPOSE)
        try:
            crypto.unseal(sealing, account.totp_secret or b"", context=account.id.bytes)
            opened.append("totp secret")
        except crypto.SealError:
            pass
    for hook in list(session.scalars(select(Webhook))):
        sealing = OLD_ONLY.derive_key(hook.id.bytes, purpose=webhooks.SECRET_PURPOSE)
        try:
            crypto.unseal(sealing, hook.sealed_secret, context=hook.id.bytes)
            opened.append("webhook secret")
        except crypto.SealError:
            pass
    # Session handles and idempotency keys are the holders' own: a row under
    # key 1 is one that key 1 could match.
    for model in (WebSession, StaffSession, IdempotentAnswer):
        if session.scalars(select(model).where(model.key_version == 1)).first() is not None:
            opened.append(model.__tablename__)
    session.commit()
    return opened


def _deliver(app: Flask, hook_id: uuid.UUID) -> list[httpx.Request]:
    """Queue one delivery to the hook and run the worker; return what reached the receiver."""
    sent: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    factory = sessionmaker(bind=engine_of(app), expire_on_commit=False)
    now = datetime.now(UTC)
    with factory() as session:
        session.add(
            Delivery(
                webhook_id=hook_id,
                event="course.approved",
                payload=json.dumps({"event": "course.approved", "id": str(uuid.uuid4())}),
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
        )
        session.commit()
    with httpx.Client(transport=httpx.MockTransport(receive)) as client:
        webhooks.run_once(factory, app.extensions["diskret.keyring"], client)
    return sent


def test_after_rotate_retire_and_restart_everything_works_and_the_old_key_opens_nothing(
    apps: Callable[[str], Flask],
    app: Flask,
    session: Session,
    world: World,
    staff: Staff,
    clock: Clock,
) -> None:
    """Retiring key 1 leaves nothing it opens alone; after a restart every holder still gets in."""
    stored = _store_under_key_one(app, session, world, staff, clock)
    opened_before = _what_the_old_key_alone_opens(session, stored)

    code, output = _invoke(apps(ROTATED_TOKEN_KEY), "keys", "retire", "1")
    opened_after = _what_the_old_key_alone_opens(session, stored)
    restarted = apps(ROTATED_TOKEN_KEY)
    client = restarted.test_client()

    assert code == 0, output
    assert "course codes: 2/2" in output
    assert "api keys: 4/4" in output
    assert "totp secrets: 1/1" in output
    assert sorted(opened_before) == sorted(
        ["course code"]
        + ["api key"] * 4
        + ["totp secret", "webhook secret", "web_sessions", "staff_sessions"]
        + ["idempotent_answers"]
    )
    assert opened_after == []
    assert client.get("/api/v1/me", headers=bearer(stored.token)).status_code == 200
    citizen = Citizen(restarted.test_client())
    assert (
        citizen.post("/code", {"code": stored.token}, csrf=citizen.get("/code").csrf()).status
        == 303
    )
    verified = client.post(
        "/api/v1/tokens/verify", json={"token": stored.token}, headers=bearer(world.verify_home)
    )
    assert verified.get_json()["valid"] is True
    [request] = _deliver(restarted, stored.hook_id)
    assert crypto.verify_webhook(
        stored.hook_secret,
        header=request.headers["Diskret-Signature"],
        body=request.content,
        now=int(datetime.now(UTC).timestamp()),
    )
    signed = sign_in_with_code(
        restarted.test_client(), stored.totp_account, totp_at(stored.totp_secret, clock.step())
    )
    assert signed.status == 303


def _versions(session: Session, course_id: uuid.UUID) -> tuple[int, int | None]:
    session.expire_all()
    course = session.get_one(Course, course_id)
    session.commit()
    return course.token_key_version, course.token_inner_version


def _serve(database_url: str, token_key: str) -> tuple[int, str]:
    environment = {
        "DISKRET_DATABASE_URL": database_url,
        "DISKRET_SECRET_KEY": "test-only-secret-key-not-for-production-use",
        "DISKRET_TOKEN_KEY": token_key,
    }
    result = CliRunner().invoke(
        cli, ["serve", "--workers", "1", "--single-process-sqlite"], env=environment
    )
    return result.exit_code, result.output


def test_a_dropped_key_still_needed_stops_serve_until_use_re_keys_every_wrapped_row(
    apps: Callable[[str], Flask], app: Flask, session: Session, world: World, database_url: str
) -> None:
    """Serve names the version and its rows while wrapped rows need it; once used, key 1 can go."""
    token, course = start_course(app.test_client(), world)
    rotated = apps(ROTATED_TOKEN_KEY)
    assert _invoke(rotated, "keys", "retire", "1")[0] == 0
    _, status_wrapped = _invoke(rotated, "keys", "status")

    refused, refusal = _serve(database_url, NEW_KEY_ONLY)
    unknown = apps(NEW_KEY_ONLY).test_client().get("/api/v1/me", headers=bearer(token))
    for key in (world.manage_a, world.manage_b, world.verify_home, world.unscoped_a):
        rotated.test_client().get(f"/api/v1/centres/{world.centre_a}/courses", headers=bearer(key))
    seen = rotated.test_client().get("/api/v1/me", headers=bearer(token))
    status_code, status_used = _invoke(rotated, "keys", "status")
    dropped = apps(NEW_KEY_ONLY).test_client()

    assert "version 1: course codes 1 (inner key of wrapped digests)" in status_wrapped
    assert "version 1: still needed" in status_wrapped
    assert refused == 1
    assert unknown.status_code == 401
    assert unknown.get_json()["code"] == "token_rejected"
    assert "lacks key version 1 (course codes 1, api keys 4)" in refusal
    assert seen.status_code == 200
    assert _versions(session, uuid.UUID(course["id"])) == (2, None)
    assert status_code == 0
    assert "version 1: not needed by any stored row: it can be dropped" in status_used
    assert dropped.get("/api/v1/me", headers=bearer(token)).status_code == 200
    answer = dropped.post(
        "/api/v1/tokens/verify", json={"token": token}, headers=bearer(world.verify_home)
    )
    assert answer.get_json()["valid"] is True


def test_a_citizens_read_and_a_keys_read_re_key_their_digests_under_the_current_key(
    apps: Callable[[str], Flask], app: Flask, session: Session, world: World
) -> None:
    """After a rotation, a GET alone moves a code's and an API key's digest to key 2."""
    token, course = start_course(app.test_client(), world)
    rotated = apps(ROTATED_TOKEN_KEY).test_client()

    me = rotated.get("/api/v1/me", headers=bearer(token))
    courses = rotated.get(
        f"/api/v1/centres/{world.centre_a}/courses", headers=bearer(world.manage_a)
    )

    assert me.status_code == 200
    assert courses.status_code == 200
    assert _versions(session, uuid.UUID(course["id"])) == (2, None)
    session.expire_all()
    digest = ROTATED.digest(world.manage_a, purpose="api-key")
    assert session.scalar(select(ApiKey.key_version).where(ApiKey.digest == digest.value)) == 2
    session.commit()


def test_retiring_the_current_version_is_refused_and_a_second_retire_changes_nothing(
    apps: Callable[[str], Flask], app: Flask, session: Session, world: World
) -> None:
    """The current version cannot be retired; retiring 1 twice moves nothing the second time."""
    _, course = start_course(app.test_client(), world)
    rotated = apps(ROTATED_TOKEN_KEY)

    current, refusal = _invoke(rotated, "keys", "retire", "2")
    first, _ = _invoke(rotated, "keys", "retire", "1")
    stored = session.get_one(Course, uuid.UUID(course["id"])).token_digest
    session.commit()
    again, output = _invoke(rotated, "keys", "retire", "1")

    assert current == 1
    assert "version 2 is current" in refusal
    assert first == 0
    assert again == 0
    assert "course codes: 0/0" in output
    assert _versions(session, uuid.UUID(course["id"])) == (2, 1)
    assert session.get_one(Course, uuid.UUID(course["id"])).token_digest == stored
    session.commit()


def test_a_totp_code_sealed_under_a_missing_key_version_is_refused_without_a_500(
    apps: Callable[[str], Flask], session: Session, staff: Staff, clock: Clock
) -> None:
    """With key 1 dropped, the code step answers like a wrong code, never an error page."""
    secret = two_factor.start_enrolment(staff["staff_a"]).secret
    two_factor.confirm_enrolment(
        session,
        OLD_ONLY,
        staff["staff_a"],
        secret,
        totp_at(secret, clock.now),
        profile=crypto.TEST_PROFILE,
        now=clock.now,
    )
    session.commit()
    dropped = apps(NEW_KEY_ONLY).test_client()

    answer = sign_in_with_code(dropped, staff["staff_a"], totp_at(secret, clock.step()))

    assert answer.status == 401
    assert Citizen(dropped).get("/staff/").status == 303


def test_a_webhook_sealed_under_a_missing_key_version_is_retried_later(
    apps: Callable[[str], Flask], session: Session, world: World
) -> None:
    """With key 1 dropped, a delivery fails without sending and waits for its next try."""
    hook, _ = webhooks.create(
        session,
        OLD_ONLY,
        name="Kalender",
        url=HOOK_URL,
        events=("course.approved",),
        centre_id=world.centre_a,
        municipality_code=None,
        now=datetime.now(UTC),
    )
    session.commit()

    sent = _deliver(apps(NEW_KEY_ONLY), hook.id)

    session.expire_all()
    [delivery] = session.scalars(select(Delivery)).all()
    assert sent == []
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > datetime.now(UTC)
    session.commit()


def test_a_revoked_key_wrapped_under_a_retired_version_keeps_no_version_needed(
    apps: Callable[[str], Flask], app: Flask, session: Session, world: World
) -> None:
    """Retiring 1 forgets a revoked key's digest, so the key needs no version and stays refused."""
    rotated = apps(ROTATED_TOKEN_KEY)
    digest = OLD_ONLY.digest(world.unscoped_a, purpose="api-key").value
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.digest == digest))
    session.commit()
    assert _invoke(rotated, "revoke-api-key", str(key_id))[0] == 0

    code, _ = _invoke(rotated, "keys", "retire", "1")

    session.expire_all()
    row = session.get_one(ApiKey, key_id)
    assert code == 0
    assert (row.key_version, row.inner_version) == (2, None)
    assert row.digest not in {
        d.value for d in ROTATED.candidates(world.unscoped_a, purpose="api-key")
    }
    session.commit()
    answer = rotated.test_client().get("/api/v1/stats", headers=bearer(world.unscoped_a))
    assert answer.status_code == 401


def test_a_sign_in_value_sealed_under_a_retired_key_is_refused_while_that_key_is_configured(
    apps: Callable[[str], Flask], session: Session, staff: Staff, clock: Clock
) -> None:
    """Whoever holds only key 1 cannot skip the password by sealing the code step's value."""
    secret = two_factor.start_enrolment(staff["staff_a"]).secret
    two_factor.confirm_enrolment(
        session,
        ROTATED,
        staff["staff_a"],
        secret,
        totp_at(secret, clock.now),
        profile=crypto.TEST_PROFILE,
        now=clock.now,
    )
    session.commit()
    client = apps(ROTATED_TOKEN_KEY).test_client()
    code_page = sign_in(client, staff["staff_a"])
    forged = two_factor.seal_sign_in(OLD_ONLY, staff["staff_a"].id, now=clock.now)

    answer = Citizen(client).submit(
        code_page, "/staff/login/code", {"pending": forged, "code": totp_at(secret, clock.step())}
    )

    assert answer.status == 401
    assert Citizen(client).get("/staff/").status == 303


def test_the_demo_refuses_to_start_when_its_rows_need_a_key_its_secrets_lack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo whose database holds a code under a key its secrets file lacks names it and stops."""
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    (instance / "secrets.json").write_text(
        json.dumps({"SECRET_KEY": "demo-" + "k3y-" * 12, "TOKEN_KEY": NEW_KEY_ONLY}),
        encoding="utf-8",
    )
    earlier = create_app(app_config(databases.sqlite_url(instance)))
    migrate.upgrade(engine_of(earlier))
    with earlier.app_context():
        world = build_world(db.session(), OLD_ONLY, now=datetime.now(UTC))
        db.session().commit()
    start_course(earlier.test_client(), world)
    engine_of(earlier).dispose()
    started: list[str] = []
    monkeypatch.setattr(
        "service.demo_commands.run_simple", lambda *args, **kwargs: started.append("yes")
    )

    result = CliRunner().invoke(cli, ["demo", "--instance", str(instance)])

    assert result.exit_code == 1
    assert "lacks key version 1 (course codes 1" in result.output
    assert started == []
