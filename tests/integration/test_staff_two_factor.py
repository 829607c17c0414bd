"""Two-factor sign-in for staff: setting it up, the code step, recovery codes, resets and limits.

These tests run with the real default, TOTP required of administrators and
centre admins, and a fixed clock for the code step, so every code is the one
an authenticator would show at that instant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import crypto
from service import config, create_app
from service.db import engine_of
from service.identity import two_factor
from service.models import AuditEvent, StaffAccount, StaffSession
from service.models.staff import StaffRecoveryCode
from tests.conftest import app_config
from tests.support import databases
from tests.support.pages import Citizen, Page
from tests.support.staff import (
    PASSWORD,
    Staff,
    answer_code,
    enrol,
    forge,
    make_staff,
    pending_of,
    sign_in,
    sign_in_with_code,
    submit,
    totp_at,
)
from tests.support.world import World

DEFAULT_ROLES = "admin centre_admin"


@dataclass
class Clock:
    """The instant the code step sees; tests move it on."""

    now: datetime

    def __call__(self) -> datetime:
        """Return the instant."""
        return self.now

    def step(self, steps: int = 1) -> datetime:
        """Move on by whole 30-second TOTP steps; return the new instant."""
        self.now += timedelta(seconds=30 * steps)
        return self.now


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """Yield an app that requires TOTP of administrators and centre admins, as by default."""
    app = create_app(app_config(database_url, STAFF_TOTP_ROLES=DEFAULT_ROLES))
    yield app
    engine = engine_of(app)
    databases.empty_all_tables(engine)
    engine.dispose()


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


def _account(session: Session, account: StaffAccount) -> StaffAccount:
    """Read an account afresh, and end the read so SQLite's writers need not wait."""
    session.expire_all()
    found = session.get_one(StaffAccount, account.id)
    session.commit()
    return found


def _secret_on(page: Page) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.html)
    assert found, "no secret on the page"
    return found.group(1).replace(" ", "")


def _recovery_codes_on(page: Page) -> list[str]:
    return re.findall(r'<li class="code">([0-9A-Z]{5}-[0-9A-Z]{5})</li>', page.html)


def _actions(session: Session, account: StaffAccount) -> list[str]:
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == account.id).order_by(AuditEvent.at)
    ).all()
    session.commit()
    return list(actions)


def _sessions_of(session: Session, account: StaffAccount) -> int:
    count = session.scalar(
        select(func.count()).select_from(StaffSession).where(StaffSession.account_id == account.id)
    )
    session.commit()
    return count or 0


# The setting


def test_the_default_requires_administrators_and_an_unknown_role_stops_the_start() -> None:
    """Administrators and centre admins by default; a misspelt role is a clear error at start."""
    chosen = config.from_environ({"DISKRET_STAFF_TOTP_ROLES": " staff  admin "})

    assert config.from_environ({})["STAFF_TOTP_ROLES"] == DEFAULT_ROLES
    assert chosen["STAFF_TOTP_ROLES"] == "staff admin"

    with pytest.raises(config.ConfigError, match=r"STAFF_TOTP_ROLES.*'admn'.*centre_admin"):
        config.from_environ({"DISKRET_STAFF_TOTP_ROLES": "admn centre_admin"})


# Setting it up


def test_an_administrator_without_totp_is_sent_to_set_it_up_and_staff_are_not(
    app: Flask, staff: Staff
) -> None:
    """Every page but setting up TOTP and signing out sends an unenrolled admin to set it up."""
    admin, colleague = app.test_client(), app.test_client()
    assert sign_in(admin, staff["admin"]).status == 303
    assert sign_in(colleague, staff["staff_a"]).status == 303

    sent = Citizen(admin).get("/staff/accounts")
    setup = Citizen(admin).get("/staff/two-factor")
    centre_admin = app.test_client()
    sign_in(centre_admin, staff["admin_a"])

    assert sent.status == 303
    assert sent.response.headers["Location"] == "/staff/two-factor"
    assert setup.status == 200
    assert Citizen(centre_admin).get("/staff/").response.headers["Location"] == (
        "/staff/two-factor"
    )
    assert Citizen(colleague).get("/staff/courses").status == 200
    assert Citizen(admin).submit(setup, "/staff/logout", {}).status == 303


def test_the_setup_page_draws_the_secret_inline_without_script_or_outside_images(
    client: FlaskClient, staff: Staff
) -> None:
    """An inline SVG QR code and the key as text; nothing the CSP would block."""
    sign_in(client, staff["admin"])

    page = Citizen(client).get("/staff/two-factor")

    assert page.status == 200
    assert '<svg width="' in page.html
    assert "<title>QR-kode til godkendelsesappen</title>" in page.html
    assert len(_secret_on(page)) == 32
    assert "<script" not in page.html
    assert "<img" not in page.html
    assert " style=" not in page.html
    assert "img-src 'self' data:" in page.response.headers["Content-Security-Policy"]
    assert _secret_on(page) not in pending_of(page)


def test_a_wrong_first_code_is_refused_and_the_right_one_stores_the_secret_sealed(
    client: FlaskClient, session: Session, staff: Staff, clock: Clock
) -> None:
    """Nothing is stored until a code is right; then the secret is sealed, codes only hashed."""
    sign_in(client, staff["admin"])
    page = Citizen(client).get("/staff/two-factor")
    secret = _secret_on(page)
    right = totp_at(secret, clock.now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    refused = Citizen(client).submit(page, "/staff/two-factor", {"code": wrong})
    stored_after_refusal = _account(session, staff["admin"]).totp_secret
    confirmed = Citizen(client).submit(refused, "/staff/two-factor", {"code": right})

    assert refused.status == 422
    assert 'id="code-error"' in refused.html
    assert "Koden passer ikke" in refused.text()
    assert wrong not in refused.html
    assert _secret_on(refused) == secret
    assert stored_after_refusal is None
    assert confirmed.status == 200
    codes = _recovery_codes_on(confirmed)
    assert len(codes) == 10
    assert "Gem dem et sikkert sted" in confirmed.text()
    account = _account(session, staff["admin"])
    assert account.totp_secret is not None
    assert secret.encode() not in account.totp_secret
    hashes = session.scalars(
        select(StaffRecoveryCode.code_hash).where(StaffRecoveryCode.account_id == account.id)
    ).all()
    session.commit()
    assert len(hashes) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert "account.two_factor_enrolled" in _actions(session, account)


def test_the_recovery_codes_are_shown_once_and_the_admin_then_gets_in(
    client: FlaskClient, session: Session, staff: Staff, clock: Clock
) -> None:
    """After setting up, the page shows how many codes are left, never the codes again."""
    sign_in(client, staff["admin"])
    page = Citizen(client).get("/staff/two-factor")
    secret = _secret_on(page)
    shown = Citizen(client).submit(page, "/staff/two-factor", {"code": totp_at(secret, clock.now)})

    again = Citizen(client).get("/staff/two-factor")

    assert again.status == 200
    assert "10 ubrugte gendannelseskoder" in again.text()
    assert not any(code in again.html for code in _recovery_codes_on(shown))
    assert Citizen(client).get("/staff/accounts").status == 200


def test_an_altered_setup_value_stores_nothing_and_offers_a_new_secret(
    client: FlaskClient, session: Session, staff: Staff, clock: Clock
) -> None:
    """A sealed secret changed in the browser does not unseal; the page starts again."""
    sign_in(client, staff["admin"])
    page = Citizen(client).get("/staff/two-factor")
    secret = _secret_on(page)
    pending = pending_of(page)
    altered = pending[:-6] + ("AAAA" if pending[-6:-2] != "AAAA" else "BBBB") + pending[-2:]

    answer = Citizen(client).submit(
        page, "/staff/two-factor", {"pending": altered, "code": totp_at(secret, clock.now)}
    )

    assert answer.status == 422
    assert "ikke længere gyldig" in answer.text()
    assert _secret_on(answer) != secret
    assert _account(session, staff["admin"]).totp_secret is None


# The code step of signing in


def test_an_enrolled_account_gets_no_session_before_its_code(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """A right password leads to the code page only; the right code starts the session."""
    secret, _ = enrol(session, keyring, staff["staff_a"], now=clock.now)

    code_page = sign_in(client, staff["staff_a"])
    before = Citizen(client).get("/staff/")
    rows_before = _sessions_of(session, staff["staff_a"])
    signed = answer_code(client, code_page, totp_at(secret, clock.step()))

    assert code_page.status == 200
    assert "Skriv din kode" in code_page.text()
    assert before.status == 303
    assert before.response.headers["Location"].startswith("/staff/login")
    assert rows_before == 0
    assert signed.status == 303
    assert Citizen(client).get("/staff/").status == 200
    assert _sessions_of(session, staff["staff_a"]) == 1
    assert "account.signed_in" in _actions(session, staff["staff_a"])


def test_a_code_of_a_step_already_used_is_refused_the_second_time(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """An overheard code cannot be replayed within its 30 seconds, nor within the drift window."""
    secret, _ = enrol(session, keyring, staff["admin"], now=clock.now)
    code = totp_at(secret, clock.step())
    assert sign_in_with_code(client, staff["admin"], code).status == 303
    submit(client, "/staff/password", "/staff/logout")

    replayed = sign_in_with_code(client, staff["admin"], code)

    assert replayed.status == 401
    assert "passer ikke eller er allerede brugt" in replayed.text()
    assert code not in replayed.html
    assert Citizen(client).get("/staff/").status == 303
    assert _actions(session, staff["admin"]).count("account.two_factor_refused") == 1


def test_the_setup_code_is_used_up_too(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """The code that confirmed the authenticator does not sign in afterwards."""
    secret, _ = enrol(session, keyring, staff["admin"], now=clock.now)

    answer = sign_in_with_code(client, staff["admin"], totp_at(secret, clock.now))

    assert answer.status == 401


def test_a_recovery_code_works_once_and_says_how_many_are_left(
    app: Flask,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """Each code opens one sign-in; with few left, the page suggests setting up the app again."""
    _, codes = enrol(session, keyring, staff["admin"], now=clock.now)
    first = app.test_client()

    used = sign_in_with_code(first, staff["admin"], codes[0].lower())
    day = Citizen(first).get("/staff/")
    account = _account(session, staff["admin"])
    for code in codes[1:7]:
        two_factor.verify(
            session, keyring, account, code, profile=crypto.TEST_PROFILE, now=clock.now
        )
    session.commit()
    second = app.test_client()
    sign_in_with_code(second, staff["admin"], codes[7])
    few = Citizen(second).get("/staff/")
    again = sign_in_with_code(app.test_client(), staff["admin"], codes[0])

    assert used.status == 303
    assert "Du har 9 tilbage." in day.text()
    assert "Opsæt din godkendelsesapp igen" not in day.text()
    assert "Du har 2 tilbage." in few.text()
    assert "Opsæt din godkendelsesapp igen" in few.text()
    assert again.status == 401
    assert "account.signed_in_recovery" in _actions(session, staff["admin"])


@pytest.mark.parametrize("problem", ["altered", "expired", "another key"])
def test_an_altered_or_expired_sign_in_value_is_refused(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
    problem: str,
) -> None:
    """The sealed value is bound to the account and five minutes; otherwise sign in again."""
    secret, _ = enrol(session, keyring, staff["staff_a"], now=clock.now)
    code_page = sign_in(client, staff["staff_a"])
    pending = pending_of(code_page)
    if problem == "altered":
        pending = pending[:-6] + ("AAAA" if pending[-6:-2] != "AAAA" else "BBBB") + pending[-2:]
    elif problem == "expired":
        clock.now += two_factor.SIGN_IN_LIFETIME + timedelta(seconds=1)
    else:
        other = crypto.Keyring.parse("1:" + "ab" * 32)
        pending = two_factor.seal_sign_in(other, staff["staff_a"].id, now=clock.now)

    answer = Citizen(client).submit(
        code_page, "/staff/login/code", {"pending": pending, "code": totp_at(secret, clock.step())}
    )

    assert answer.status == 401
    assert "Log ind igen" in answer.text()
    assert Citizen(client).get("/staff/").status == 303
    assert _sessions_of(session, staff["staff_a"]) == 0


def test_wrong_codes_are_limited_per_account_with_retry_after(
    database_url: str,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """After the configured wrong codes for one account, even the right code answers 429."""
    secret, _ = enrol(session, keyring, staff["staff_a"], now=clock.now)
    limited = create_app(
        app_config(
            database_url,
            STAFF_TOTP_ROLES=DEFAULT_ROLES,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_LOGIN_CODE="3 per minute",
        )
    )
    try:
        client = limited.test_client()
        code_page = sign_in(client, staff["staff_a"])
        answers = [answer_code(client, code_page, "000000").status for _ in range(3)]
        # A fresh sign-in of the same account shares the count: it is per account.
        other = limited.test_client()
        fresh = sign_in(other, staff["staff_a"])
        blocked = answer_code(other, fresh, totp_at(secret, clock.step()))
    finally:
        engine_of(limited).dispose()

    assert answers == [401, 401, 401]
    assert blocked.status == 429
    assert int(blocked.response.headers["Retry-After"]) > 0


# Resetting and turning off


def test_the_owner_turns_totp_off_only_with_the_password_and_only_if_the_role_allows(
    app: Flask,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """Staff may turn it off with the password; an administrator may not, the setting says."""
    staff_secret, _ = enrol(session, keyring, staff["staff_a"], now=clock.now)
    admin_secret, _ = enrol(session, keyring, staff["admin"], now=clock.now)
    member, admin = app.test_client(), app.test_client()
    code = clock.step()
    sign_in_with_code(member, staff["staff_a"], totp_at(staff_secret, code))
    sign_in_with_code(admin, staff["admin"], totp_at(admin_secret, code))

    wrong = submit(
        member, "/staff/two-factor", "/staff/two-factor/off", {"password": "not my password"}
    )
    still = _account(session, staff["staff_a"]).totp_secret
    off = submit(member, "/staff/two-factor", "/staff/two-factor/off", {"password": PASSWORD})
    # The administrator's page offers no "turn off" button: the request is crafted.
    refused = forge(admin, "/staff/two-factor/off", {"password": PASSWORD})

    assert wrong.status == 401
    assert "Adgangskoden er forkert." in wrong.text()
    assert still is not None
    assert off.status == 303
    assert _account(session, staff["staff_a"]).totp_secret is None
    assert refused.status == 409
    assert "kan nulstille det, men ikke slå det fra" in refused.text()
    assert _account(session, staff["admin"]).totp_secret is not None


def test_the_owner_resets_totp_and_must_set_it_up_again(
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """A reset (a new phone) removes the secret and the codes; the gate then asks for a new one."""
    secret, _ = enrol(session, keyring, staff["admin_a"], now=clock.now)
    sign_in_with_code(client, staff["admin_a"], totp_at(secret, clock.step()))

    reset = submit(client, "/staff/two-factor", "/staff/two-factor/reset", {"password": PASSWORD})
    sent = Citizen(client).get("/staff/courses")

    assert reset.status == 303
    assert reset.response.headers["Location"] == "/staff/two-factor"
    assert sent.response.headers["Location"] == "/staff/two-factor"
    assert _account(session, staff["admin_a"]).totp_secret is None
    assert two_factor.recovery_left(session, staff["admin_a"].id) == 0
    session.commit()


def test_an_administrator_resets_a_lost_phone_and_the_account_is_signed_out(
    app: Flask,
    session: Session,
    keyring: crypto.Keyring,
    staff: Staff,
    clock: Clock,
) -> None:
    """From the accounts page: the other account's TOTP goes, and so do its sessions."""
    owner_secret, _ = enrol(session, keyring, staff["admin_a"], now=clock.now)
    admin_secret, _ = enrol(session, keyring, staff["admin"], now=clock.now)
    owner, admin = app.test_client(), app.test_client()
    code = clock.step()
    sign_in_with_code(owner, staff["admin_a"], totp_at(owner_secret, code))
    sign_in_with_code(admin, staff["admin"], totp_at(admin_secret, code))
    listing = Citizen(admin).get("/staff/accounts")

    answer = submit(
        admin, "/staff/accounts", f"/staff/accounts/{staff['admin_a'].id}/two-factor/reset"
    )

    assert f"Nulstil totrinslogin for {staff['admin_a'].username}" in listing.html
    assert answer.status == 303
    assert Citizen(owner).get("/staff/").response.headers["Location"].startswith("/staff/login")
    assert _account(session, staff["admin_a"]).totp_secret is None
    assert _sessions_of(session, staff["admin_a"]) == 0
    assert "account.two_factor_disabled" in _actions(session, staff["admin_a"])
    again = sign_in(app.test_client(), staff["admin_a"])
    assert again.status == 303
