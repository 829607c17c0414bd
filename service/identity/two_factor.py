"""Two-factor sign-in for staff: TOTP codes (RFC 6238) and one-time recovery codes.

Enrolment is two steps: ``start_enrolment`` draws a secret that the owner
adds to an authenticator app, and ``confirm_enrolment`` stores it, sealed,
only once a first code proves the app has it. Confirming also hands out ten
recovery codes, shown once and kept only as argon2id hashes. A code is
accepted once: the step of the last accepted TOTP code is stored, and a used
recovery code is marked used (RFC 6238 section 5.2, NIST SP 800-63B 5.1.4.2).

Between a right password and the code, no session exists yet: the browser
carries a sealed, five-minute value naming the account (``seal_sign_in``).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

import crypto
from service import passwords
from service.core import errors
from service.identity import audit
from service.identity.accounts import actor_of, end_sessions, record_refusal
from service.models import Role, StaffAccount
from service.models.staff import StaffRecoveryCode

ISSUER = "Diskret"
STEP_SECONDS = 30
DIGITS = 6
# RFC 6238 section 5.2 allows one step of clock drift either way.
WINDOW = 1
RECOVERY_CODES = 10
# Ten Crockford base32 symbols: 50 bits, far beyond what the per-account
# limit lets anyone try (NIST SP 800-63B 5.1.2.2 asks for 20 bits with a limit).
RECOVERY_LENGTH = 10
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
SECRET_PURPOSE = "totp-secret"  # noqa: S105 - a key-derivation label, not a secret
PENDING_PURPOSE = "totp-enrolment"
SIGN_IN_PURPOSE = "staff-sign-in-pending"
# Long enough to open the app and type a code, short enough that a value
# left in a form or a browser's history is soon worth nothing.
SIGN_IN_LIFETIME = timedelta(minutes=5)
_SIGN_IN_CONTEXT = b"staff sign-in: account id, expiry"


class CodeRefused(errors.DomainError):
    """A wrong code, one already used, or an account without TOTP: one answer for all."""

    code = "two_factor_code_refused"
    kind = "unauthorized"
    message = "The code is wrong or was already used."


class FirstCodeRefused(CodeRefused):
    """The first code, which proves the authenticator has the new secret, is wrong."""


class AlreadyEnrolled(errors.DomainError):
    """The account already has TOTP; disable it before enrolling another authenticator."""

    code = "two_factor_already_enrolled"
    message = "Two-factor sign-in is already set up for this account."


class Required(errors.DomainError):
    """The account's role must sign in with TOTP, so its owner may reset it but not turn it off."""

    code = "two_factor_required"
    message = "Two-factor sign-in is required for this role."


@dataclass(frozen=True)
class Enrolment:
    """A secret not yet stored, and the otpauth:// URI that carries it to an authenticator."""

    secret: str
    uri: str


@dataclass(frozen=True)
class Verified:
    """An accepted code: which kind it was, and how many recovery codes are left unused."""

    kind: Literal["totp", "recovery"]
    recovery_left: int


def parse_roles(text: str) -> frozenset[Role]:
    """Return the roles named in a space-separated list; an unknown name raises ValueError."""
    return frozenset(Role(name) for name in text.split())


def required(account: StaffAccount, roles: frozenset[Role]) -> bool:
    """Tell whether the account's role must sign in with a second factor."""
    return account.role in roles


def enrolled(account: StaffAccount) -> bool:
    """Tell whether the account has a confirmed TOTP secret."""
    return account.totp_secret is not None


def start_enrolment(account: StaffAccount) -> Enrolment:
    """Draw a new secret (160 bits, RFC 4226 section 4) and its URI; nothing is stored yet.

    The URI names the issuer and the username only: an authenticator app,
    perhaps backed up to someone's cloud, learns nothing else.
    """
    return enrolment(account, pyotp.random_base32())


def enrolment(account: StaffAccount, secret: str) -> Enrolment:
    """Return the enrolment of a secret drawn before (shown again until it is confirmed)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def seal_pending(keyring: crypto.Keyring, account_id: uuid.UUID, secret: str) -> str:
    """Seal an unconfirmed secret for one account, as text the browser may carry but not read."""
    key = keyring.derive_key(account_id.bytes, purpose=PENDING_PURPOSE)
    box = crypto.seal(key, secret.encode(), context=account_id.bytes)
    return f"{keyring.current_version}:{base64.urlsafe_b64encode(box).decode()}"


def unseal_pending(keyring: crypto.Keyring, account_id: uuid.UUID, text: str) -> str | None:
    """Return the secret that ``seal_pending`` sealed for this account, or None."""
    version, _, box = text.partition(":")
    if version != str(keyring.current_version):
        # Minutes-old values under the current key only: a retired key (which
        # may stay configured for wrapped digests) must not forge one.
        return None
    try:
        key = keyring.derive_key(account_id.bytes, purpose=PENDING_PURPOSE, version=int(version))
        plain = crypto.unseal(key, base64.urlsafe_b64decode(box), context=account_id.bytes)
    except (ValueError, binascii.Error, crypto.CryptoError):
        return None
    return plain.decode()


def seal_sign_in(keyring: crypto.Keyring, account_id: uuid.UUID, *, now: datetime) -> str:
    """Seal "this account gave the right password" for ``SIGN_IN_LIFETIME``, as opaque text.

    It names the account and when it expires, sealed (AES-GCM) so the browser
    can neither read nor alter it; it is not a session and opens nothing but
    the code step.
    """
    expires = int((now + SIGN_IN_LIFETIME).timestamp())
    key = keyring.derive_key(_SIGN_IN_CONTEXT, purpose=SIGN_IN_PURPOSE)
    box = crypto.seal(key, account_id.bytes + expires.to_bytes(8, "big"), context=_SIGN_IN_CONTEXT)
    return f"{keyring.current_version}:{base64.urlsafe_b64encode(box).decode()}"


def unseal_sign_in(keyring: crypto.Keyring, text: str, *, now: datetime) -> uuid.UUID | None:
    """Return the account of a sealed sign-in that has not expired, or None (altered, expired)."""
    version, _, box = text.partition(":")
    if version != str(keyring.current_version):
        # As in ``unseal_pending``: a retired key must not forge a sign-in.
        return None
    try:
        key = keyring.derive_key(_SIGN_IN_CONTEXT, purpose=SIGN_IN_PURPOSE, version=int(version))
        plain = crypto.unseal(key, base64.urlsafe_b64decode(box), context=_SIGN_IN_CONTEXT)
    except (ValueError, binascii.Error, crypto.CryptoError):
        return None
    if len(plain) != 24 or int.from_bytes(plain[16:], "big") <= now.timestamp():
        return None
    return uuid.UUID(bytes=plain[:16])


def _lock(session: Session, account_id: uuid.UUID) -> StaffAccount:
    # One transaction at a time per account, so two requests with the same
    # code cannot both be accepted (SQLite transactions are already serial).
    query = (
        select(StaffAccount)
        .where(StaffAccount.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    account = session.scalar(query)
    if account is None:
        raise errors.NotFound()
    return account


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """Return the step within the window whose code this is, if it is later than ``after``."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    found = None
    current = _step(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        expected = totp.generate_otp(step).encode()
        # Every step is compared, so the time taken does not tell which one matched.
        if crypto.constant_time_equal(expected, code.encode()) and (after is None or step > after):
            found = step
    return found


def _totp_shaped(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def _recovery_canonical(code: str) -> str | None:
    canonical = code.upper().replace("-", "").translate(_READ_AS)
    if len(canonical) != RECOVERY_LENGTH or any(c not in _ALPHABET for c in canonical):
        return None
    return canonical


def _new_recovery_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(RECOVERY_LENGTH))


def _sealing_key(keyring: crypto.Keyring, account: StaffAccount, version: int | None) -> bytes:
    return keyring.derive_key(account.id.bytes, purpose=SECRET_PURPOSE, version=version)


def _secret(keyring: crypto.Keyring, account: StaffAccount) -> str:
    if account.totp_secret is None:
        raise CodeRefused(field="code")
    try:
        key = _sealing_key(keyring, account, account.totp_key_version)
        return crypto.unseal(key, account.totp_secret, context=account.id.bytes).decode()
    except crypto.CryptoError:
        # Sealed under a key version the configuration lacks (or altered): the
        # code cannot be checked, so it is refused like a wrong one, never a 500.
        # `diskret serve` refuses to start in this state (service.booking.rotation).
        raise CodeRefused(field="code") from None


def confirm_enrolment(
    session: Session,
    keyring: crypto.Keyring,
    account: StaffAccount,
    secret: str,
    code: str,
    *,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> list[str]:
    """Store the secret, sealed, once a first code is right; return recovery codes, shown once."""
    account = _lock(session, account.id)
    if enrolled(account):
        raise AlreadyEnrolled()
    typed = "".join(code.split())
    step = _matching_step(secret, typed, now, after=None) if _totp_shaped(typed) else None
    if step is None:
        raise FirstCodeRefused(field="code")
    version = keyring.current_version
    account.totp_secret = crypto.seal(
        _sealing_key(keyring, account, version), secret.encode(), context=account.id.bytes
    )
    account.totp_key_version = version
    # The confirming code is used up like any other.
    account.totp_last_step = step
    session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.account_id == account.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(
        StaffRecoveryCode(
            account_id=account.id, code_hash=passwords.hash_password(c, profile=profile)
        )
        for c in codes
    )
    audit.record(
        session,
        actor_of(account),
        "account.two_factor_enrolled",
        object_type="account",
        object_id=account.id,
        centre_id=account.centre_id,
        now=now,
    )
    session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_left(session: Session, account_id: uuid.UUID) -> int:
    """Count the account's unused recovery codes."""
    count = session.scalar(
        select(func.count())
        .select_from(StaffRecoveryCode)
        .where(StaffRecoveryCode.account_id == account_id, StaffRecoveryCode.used_at.is_(None))
    )
    return count or 0


def verify(
    session: Session,
    keyring: crypto.Keyring,
    account: StaffAccount,
    code: str,
    *,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> Verified:
    """Accept a TOTP code of a step not used before, or an unused recovery code (then used up).

    A refused code is committed to the audit trail at once and the caller's
    transaction ends with it (``service.identity.audit``): whoever typed it
    knew the password, and may not be the account's owner.
    """
    verified = _check_code(session, keyring, account.id, code, profile=profile, now=now)
    if verified is None:
        record_refusal(session, account, "account.two_factor_refused", now=now)
        raise CodeRefused(field="code")
    return verified


def _check_code(
    session: Session,
    keyring: crypto.Keyring,
    account_id: uuid.UUID,
    code: str,
    *,
    profile: crypto.PasswordProfile,
    now: datetime,
) -> Verified | None:
    account = _lock(session, account_id)
    if not enrolled(account):
        return None
    typed = "".join(code.split())
    if _totp_shaped(typed):
        step = _matching_step(_secret(keyring, account), typed, now, after=account.totp_last_step)
        if step is None:
            return None
        account.totp_last_step = step
        session.flush()
        return Verified("totp", recovery_left(session, account.id))
    canonical = _recovery_canonical(typed)
    if canonical is None:
        return None
    unused = session.scalars(
        select(StaffRecoveryCode).where(
            StaffRecoveryCode.account_id == account.id, StaffRecoveryCode.used_at.is_(None)
        )
    ).all()
    for row in unused:
        if passwords.verify_password(row.code_hash, canonical, profile=profile).ok:
            row.used_at = now
            session.flush()
            return Verified("recovery", len(unused) - 1)
    return None


def disable(
    session: Session, actor: StaffAccount, account_id: uuid.UUID, *, now: datetime
) -> StaffAccount:
    """Remove the account's TOTP secret and recovery codes (its owner or an administrator).

    When an administrator does it (a lost phone), the account's sessions end
    too; its owner must set up a new authenticator at the next sign-in if the
    role requires one.
    """
    if actor.id != account_id and actor.role is not Role.ADMIN:
        raise errors.NotFound()
    account = _lock(session, account_id)
    account.totp_secret = None
    account.totp_key_version = None
    account.totp_last_step = None
    session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.account_id == account.id))
    if actor.id != account.id:
        end_sessions(session, account.id)
    audit.record(
        session,
        actor_of(actor),
        "account.two_factor_disabled",
        object_type="account",
        object_id=account.id,
        centre_id=account.centre_id,
        now=now,
    )
    session.flush()
    return account


def switch_off(
    session: Session, account: StaffAccount, *, required_roles: frozenset[Role], now: datetime
) -> StaffAccount:
    """Let the owner turn TOTP off, unless the account's role requires it."""
    if required(account, required_roles):
        raise Required()
    return disable(session, account, account.id, now=now)
