"""Staff sign-in: revocable server-side sessions, roles checked on every view.

Sessions are ``service.http.sessions`` for the staff purpose: a handle in
the signed session cookie and its keyed digest in ``staff_sessions``; the
cookie lapses after 30 idle minutes, the row after 12 hours, and deleting
the row (sign-out, a new password, a switched-off account, signing in again
in the same browser) ends it at once.
An account with TOTP gets a session only after its code (service.staff.two_factor).

Before any other page, an account with a one-time setup code must choose a
password, and then an account whose role is in ``STAFF_TOTP_ROLES`` must
set up TOTP (service.staff.two_factor).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from flask import Response, abort, current_app, g, redirect, request, url_for
from sqlalchemy.orm import Session

import crypto
from service import db
from service.core.clock import utcnow
from service.http import sessions
from service.http.keyring import keyring
from service.identity import two_factor
from service.limits import configured, limiter
from service.models import Role, StaffAccount

View = TypeVar("View", bound=Callable[..., Any])

# What an account with a one-time setup code may open: choosing a password, signing out.
FIRST_STEPS = frozenset({"staff.password_form", "staff.password", "staff.logout"})
# What an account whose role requires TOTP may open until it has set it up.
TWO_FACTOR_STEPS = frozenset({"staff.two_factor", "staff.two_factor_confirm", "staff.logout"})
PROFILES = {"staff": crypto.STAFF_PROFILE, "test": crypto.TEST_PROFILE}


def password_profile() -> crypto.PasswordProfile:
    """Return the configured argon2id profile."""
    return PROFILES[current_app.config["PASSWORD_PROFILE"]]


def totp_roles() -> frozenset[Role]:
    """Return the roles that must sign in with TOTP (``STAFF_TOTP_ROLES``)."""
    return two_factor.parse_roles(current_app.config["STAFF_TOTP_ROLES"])


def setup_code_lifetime() -> timedelta:
    """Return how long a one-time setup code opens its account (``STAFF_SETUP_CODE_HOURS``)."""
    return timedelta(hours=current_app.config["STAFF_SETUP_CODE_HOURS"])


def sign_in(session: Session, account: StaffAccount, *, now: datetime) -> None:
    """Start a new staff session for an account, ending the one this browser held before."""
    sessions.begin(session, sessions.STAFF, account.id, now=now)


def session_key() -> str:
    """Key a rate limit on this browser's session: a keyed digest of its handle, never the handle.

    The digest has a purpose of its own, so the limiter's storage holds
    nothing that finds a row of ``staff_sessions``.
    """
    handle = sessions.handle(sessions.STAFF)
    if handle is None:
        return "staff-session:none"
    return "staff-session:" + keyring().digest(handle, purpose="ratelimit-session").value.hex()[:32]


def _wrong_password(response: Response) -> bool:
    return response.status_code == 401


# Wrong current passwords are guesses too, wherever a form asks for one
# (changing it, resetting or turning off two-factor sign-in): one budget per
# session over all those forms, as sign-in has one per account.
password_confirmation = limiter.shared_limit(
    lambda: configured("RATELIMIT_LOGIN_ACCOUNT"),
    scope="password-confirmation",
    key_func=session_key,
    deduct_when=_wrong_password,
)


def signed_in(session: Session, *, now: datetime) -> StaffAccount | None:
    """Return the account of the browser's live session, or None."""
    row = sessions.live_row(session, sessions.STAFF, now=now)
    if row is None:
        return None
    account = session.get(StaffAccount, row.account_id)
    if account is None or not account.active:
        return None
    return account


def sign_out(session: Session) -> None:
    """End this browser's staff session on the server and forget its handle."""
    sessions.end(session, sessions.STAFF)


def current() -> StaffAccount:
    """Return the signed-in account that ``staff_only`` checked for this request."""
    account: StaffAccount = g.staff
    return account


def own_centre() -> uuid.UUID:
    """Return the signed-in account's centre (views of centre roles only)."""
    centre_id = current().centre_id
    if centre_id is None:
        abort(403)
    return centre_id


def staff_only(*roles: Role) -> Callable[[View], View]:
    """Let in only a signed-in, active account of one of ``roles``; others go to sign in (303)
    or are refused (403). An account with a setup code must first choose a password, and
    then, if its role requires it, set up TOTP."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            account = signed_in(db.session(), now=utcnow())
            if account is None:
                return redirect(url_for("staff.login", next=request.path), code=303)
            if account.must_set_password:
                if request.endpoint not in FIRST_STEPS:
                    return redirect(url_for("staff.password_form"), code=303)
            elif (
                request.endpoint not in TWO_FACTOR_STEPS
                and not two_factor.enrolled(account)
                and two_factor.required(account, totp_roles())
            ):
                return redirect(url_for("staff.two_factor"), code=303)
            if account.role not in roles:
                abort(403)
            g.staff = account
            return view(*args, **kwargs)

        # Kept on the view for the access matrix (functools.wraps carries it outwards).
        wrapper.staff_roles = frozenset(roles)  # type: ignore[attr-defined]
        return cast(View, wrapper)

    return decorate


EVERYONE = tuple(Role)
CENTRE = (Role.STAFF, Role.CENTRE_ADMIN)
STATISTICS = (Role.COORDINATOR, Role.ADMIN)
# Billing is an administrative task (service.staff.billing): not for centre staff.
BILLING = (Role.CENTRE_ADMIN, Role.COORDINATOR, Role.ADMIN)
