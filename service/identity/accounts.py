"""Staff accounts: creating them, signing in, setting passwords, switching them off.

Passwords are argon2id (crypto/), verified and then rehashed when the
profile changed. A new account gets a one-time setup code instead of a
password; its owner signs in with it once, within a configured time, and
must choose a password. A manager can issue a new setup code (a forgotten
password). Signing in, signing out and refused sign-ins of an existing
account are in the audit trail, which holds no password and no address.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import crypto
from service import passwords
from service.core import errors
from service.core.text import refuse_personal_data
from service.identity import audit
from service.identity.actors import SYSTEM, Actor
from service.models import CENTRE_ROLES, Centre, Municipality, Role, StaffAccount, StaffSession

SHORTEST_PASSWORD = 12
_LEAST_SCORE = 3
_ESTIMATED = 72


class LoginFailed(errors.DomainError):
    """Unknown account, wrong password or a switched-off account: one answer for all three."""

    code = "login_failed"
    kind = "unauthorized"
    message = "Wrong username or password."


class WrongPassword(errors.DomainError):
    """The current password, asked for before a change, is wrong."""

    code = "wrong_password"
    kind = "unauthorized"
    message = "The current password is wrong."


class CurrentPasswordWrong(WrongPassword):
    """The current password, asked for before choosing a new one, is wrong."""


class WeakPassword(errors.InvalidInput):
    """A new password is too short or too easy to guess."""

    code = "weak_password"
    message = f"Choose a password of at least {SHORTEST_PASSWORD} characters."


class CommonPassword(WeakPassword):
    """A new password is long enough but common or easy to guess (ASVS 6.2.4)."""

    message = "This password is too common or too easy to guess."


def _guessable(password: str, username: str) -> bool:
    """Tell whether zxcvbn scores a password below 3 (fewer than 10^8 guesses).

    zxcvbn knows the common password lists (tens of thousands, far more than
    ASVS's 3000), words, names, keyboard runs, dates and l33t. It refuses
    input over 72 characters, and a phrase whose first 72 are strong is strong.
    """
    # Imported here: its lists cost a worker 13 MiB, needed only when a password is set.
    from zxcvbn import zxcvbn  # noqa: PLC0415

    estimate = zxcvbn(password[:_ESTIMATED], user_inputs=[username, "diskret"])
    return int(estimate["score"]) < _LEAST_SCORE


@dataclass(frozen=True)
class NewAccount:
    """A created account and its one-time setup code, shown once to whoever created it."""

    account: StaffAccount
    setup_code: str


def actor_of(account: StaffAccount) -> Actor:
    """Return the actor a staff account acts as: its centre or municipality is its reach."""
    return Actor(
        kind="staff",
        id=account.id,
        centre_id=account.centre_id,
        municipality_code=account.municipality_code,
    )


class Listed(NamedTuple):
    """An account as its managers see it listed: with its centre's and municipality's names."""

    account: StaffAccount
    centre: str | None
    municipality: str | None


def within_reach(session: Session, actor: Actor) -> list[Listed]:
    """Return the accounts an actor reaches, by username: a centre's own, or every one.

    A centre-bound actor reaches its centre's staff and centre administrators;
    an actor bound to neither a centre nor a municipality (an administrator)
    reaches every account; a municipality's reaches none.
    """
    query = (
        select(StaffAccount, Centre.name, Municipality.name)
        .outerjoin(Centre, Centre.id == StaffAccount.centre_id)
        .outerjoin(Municipality, Municipality.code == StaffAccount.municipality_code)
        .order_by(StaffAccount.username)
    )
    if actor.centre_id is not None:
        query = query.where(
            StaffAccount.centre_id == actor.centre_id, StaffAccount.role.in_(CENTRE_ROLES)
        )
    elif actor.municipality_code is not None:
        return []
    return [Listed(*row) for row in session.execute(query)]


def _check_reach(
    session: Session, role: Role, centre_id: uuid.UUID | None, code: str | None
) -> None:
    if role in CENTRE_ROLES:
        if centre_id is None or session.get(Centre, centre_id) is None or code is not None:
            raise errors.InvalidInput("Choose the account's centre.", field="centre_id")
    elif role is Role.COORDINATOR:
        if code is None or session.get(Municipality, code) is None or centre_id is not None:
            raise errors.InvalidInput("Choose the account's municipality.", field="municipality")
    elif centre_id is not None or code is not None:
        raise errors.InvalidInput("An administrator has no centre or municipality.", field="role")


def may_manage(manager: StaffAccount, role: Role, centre_id: uuid.UUID | None) -> bool:
    """Tell whether an account may create or switch off accounts of this role and centre."""
    if manager.role is Role.ADMIN:
        return True
    return (
        manager.role is Role.CENTRE_ADMIN
        and role in CENTRE_ROLES
        and centre_id == manager.centre_id
    )


def create(
    session: Session,
    *,
    username: str,
    role: Role,
    centre_id: uuid.UUID | None = None,
    municipality_code: str | None = None,
    created_by: StaffAccount | None,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> NewAccount:
    """Create an account with a one-time setup code; ``created_by`` None is the first admin."""
    name = username.strip().lower()
    if not (3 <= len(name) <= 40) or not name.replace(".", "").replace("-", "").isalnum():
        raise errors.InvalidInput(
            "A username is 3-40 letters, digits, dots or dashes.", field="username"
        )
    refuse_personal_data(name, field="username")
    if created_by is not None and not may_manage(created_by, role, centre_id):
        raise errors.NotFound()
    _check_reach(session, role, centre_id, municipality_code)
    if session.scalar(select(StaffAccount.id).where(StaffAccount.username == name)):
        raise errors.InvalidInput("That username is taken.", field="username")
    setup_code = secrets.token_urlsafe(12)
    account = StaffAccount(
        username=name,
        role=role,
        centre_id=centre_id,
        municipality_code=municipality_code,
        password_hash=passwords.hash_password(setup_code, profile=profile),
        must_set_password=True,
        setup_code_issued_at=now,
        active=True,
        created_at=now,
        created_by=created_by.id if created_by else None,
    )
    session.add(account)
    session.flush()
    if created_by is not None:
        audit.record(
            session,
            actor_of(created_by),
            "account.created",
            object_type="account",
            object_id=account.id,
            centre_id=centre_id,
            now=now,
        )
    return NewAccount(account, setup_code)


def _setup_code_expired(account: StaffAccount, lifetime: timedelta, now: datetime) -> bool:
    issued = account.setup_code_issued_at
    return account.must_set_password and (issued is None or issued + lifetime <= now)


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    profile: crypto.PasswordProfile,
    setup_code_lifetime: timedelta,
    now: datetime,
) -> StaffAccount:
    """Return the account a username and password open, rehashing when the profile changed.

    An unknown username costs one verify as well, so its answer takes as long
    as a wrong password's, and both raise the same ``LoginFailed``; so do a
    switched-off account and an expired setup code. A refusal for an account
    that exists is committed to the audit trail at once, with the system as
    actor (``record_refusal``): the request's transaction ends with it.
    """
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.username == username.strip().lower())
    )
    if account is None:
        passwords.burn_password_time(password, profile=profile)
        raise LoginFailed()
    check = passwords.verify_password(account.password_hash, password, profile=profile)
    if not check.ok or not account.active or _setup_code_expired(account, setup_code_lifetime, now):
        record_refusal(session, account, "account.sign_in_refused", now=now)
        raise LoginFailed()
    if check.new_hash is not None:
        account.password_hash = check.new_hash
    return account


def record_sign_in(
    session: Session, account: StaffAccount, *, recovery_code: bool = False, now: datetime
) -> None:
    """Record that an account signed in (with a recovery code as second factor, if so)."""
    action = "account.signed_in_recovery" if recovery_code else "account.signed_in"
    _record(session, actor_of(account), action, account, now=now)


def record_sign_out(session: Session, account: StaffAccount, *, now: datetime) -> None:
    """Record that an account signed out."""
    _record(session, actor_of(account), "account.signed_out", account, now=now)


def record_refusal(session: Session, account: StaffAccount, action: str, *, now: datetime) -> None:
    """Commit a refused sign-in step of an account on its own, with the system as actor.

    Whoever typed the password or the code may not be the account's owner.
    The caller's transaction ends here (``service.identity.audit``).
    """
    audit.record_refusal(
        session,
        SYSTEM,
        action,
        object_type="account",
        object_id=account.id,
        centre_id=account.centre_id,
        now=now,
    )


def _record(
    session: Session, actor: Actor, action: str, account: StaffAccount, *, now: datetime
) -> None:
    audit.record(
        session,
        actor,
        action,
        object_type="account",
        object_id=account.id,
        centre_id=account.centre_id,
        now=now,
    )


def set_password(
    session: Session,
    account: StaffAccount,
    password: str,
    *,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> None:
    """Set a new password and end every session of the account (the caller starts a new one).

    Only for an account signed in with its setup code; anyone else changes
    a password with ``change_password``.
    """
    lowered = password.lower()
    if len(password) < SHORTEST_PASSWORD or account.username in lowered or len(set(password)) < 5:
        raise WeakPassword(field="password")
    if _guessable(password, account.username):
        raise CommonPassword(field="password")
    account.password_hash = passwords.hash_password(password, profile=profile)
    account.must_set_password = False
    account.setup_code_issued_at = None
    end_sessions(session, account.id)
    _record(session, actor_of(account), "account.password_set", account, now=now)


def change_password(
    session: Session,
    account: StaffAccount,
    current: str,
    new: str,
    *,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> None:
    """Set a new password once the current one is right (OWASP ASVS 5.0 6.2.3).

    Whoever takes over an open session cannot lock the owner out by choosing
    a password of their own.
    """
    try:
        confirm_password(account, current, profile=profile)
    except WrongPassword:
        raise CurrentPasswordWrong(field="current") from None
    set_password(session, account, new, profile=profile, now=now)


def confirm_password(
    account: StaffAccount, password: str, *, profile: crypto.PasswordProfile
) -> None:
    """Refuse, with ``WrongPassword``, a password that is not the account's current one."""
    if not passwords.verify_password(account.password_hash, password, profile=profile).ok:
        raise WrongPassword(field="current")


def issue_setup_code(
    session: Session,
    manager: StaffAccount,
    account_id: uuid.UUID,
    *,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> NewAccount:
    """Replace an account's password with a new one-time setup code and end its sessions.

    For a forgotten password or an expired code; the manager hands the code
    over as when the account was made. Two-factor sign-in, if set up, stays:
    the code alone does not open the account to the manager.
    """
    account = session.get(StaffAccount, account_id)
    if account is None or not may_manage(manager, account.role, account.centre_id):
        raise errors.NotFound()
    if account.id == manager.id:
        raise errors.InvalidInput("Change your own password instead.", field="own_account")
    return _replace_with_setup_code(session, actor_of(manager), account, profile=profile, now=now)


def issue_setup_code_by_operator(
    session: Session, username: str, *, profile: crypto.PasswordProfile, now: datetime
) -> NewAccount:
    """Give an account a new one-time setup code from the command line, the system as actor.

    For an operator without a browser: the first administrator's code ran
    out, or the demo's accounts were not set up within the code's lifetime.
    The old password or code stops working and every session ends.
    """
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.username == username.strip().lower())
    )
    if account is None:
        raise errors.NotFound("No staff account has that username.")
    return _replace_with_setup_code(session, SYSTEM, account, profile=profile, now=now)


def _replace_with_setup_code(
    session: Session,
    actor: Actor,
    account: StaffAccount,
    *,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> NewAccount:
    setup_code = secrets.token_urlsafe(12)
    account.password_hash = passwords.hash_password(setup_code, profile=profile)
    account.must_set_password = True
    account.setup_code_issued_at = now
    end_sessions(session, account.id)
    _record(session, actor, "account.setup_code_issued", account, now=now)
    return NewAccount(account, setup_code)


def deactivate(
    session: Session, manager: StaffAccount, account_id: uuid.UUID, *, now: datetime
) -> StaffAccount:
    """Switch an account off and end its sessions at once."""
    account = session.get(StaffAccount, account_id)
    if account is None or not may_manage(manager, account.role, account.centre_id):
        raise errors.NotFound()
    if account.id == manager.id:
        raise errors.InvalidInput("You cannot switch off your own account.", field="account")
    account.active = False
    end_sessions(session, account.id)
    _record(session, actor_of(manager), "account.deactivated", account, now=now)
    return account


def end_sessions(session: Session, account_id: uuid.UUID) -> None:
    """End every session of an account."""
    session.execute(delete(StaffSession).where(StaffSession.account_id == account_id))
