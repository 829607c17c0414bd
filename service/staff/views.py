"""Signing in and out, choosing a password, and the centre's day."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from service import db
from service.core.clock import local_today, utcnow
from service.http.keyring import keyring
from service.http.transaction import transactional
from service.identity import accounts, two_factor
from service.limits import configured, fail_closed, limiter, staff_sign_in
from service.staff import refusals
from service.staff.agenda import day_page
from service.staff.auth import (
    CENTRE,
    EVERYONE,
    current,
    password_confirmation,
    password_profile,
    setup_code_lifetime,
    sign_in,
    sign_out,
    staff_only,
)
from service.staff.blueprint import blp
from service.staff.forms import ChangePasswordForm, LoginForm, PasswordForm
from service.staff.pages import page
from service.staff.two_factor import ask_for_code


def _account_key() -> str:
    """Key the per-account limit on a keyed digest of the username typed, never the name."""
    name = request.form.get("username", "").strip().lower()
    return "login-account:" + keyring().digest(name, purpose="ratelimit-login").value.hex()[:32]


def _failed(response: Response) -> bool:
    return response.status_code == 401


@blp.get("/login")
def login_form() -> tuple[str, int]:
    """The sign-in page."""
    return page("staff/login.html", form=LoginForm())


@blp.post("/login")
@staff_sign_in
@limiter.limit(
    lambda: configured("RATELIMIT_LOGIN_ACCOUNT"), key_func=_account_key, deduct_when=_failed
)
@fail_closed
@transactional
def login() -> tuple[str, int] | Response:
    """Check the password; one answer for an unknown account, a wrong password or one switched off.

    Only failures count towards the limits, per account (a short window, so
    an attacker cannot keep a real user out for long) and per client. An
    account with two-factor sign-in gets the code page, not yet a session.
    """
    form = LoginForm()
    if not form.validate():
        return page("staff/login.html", status=401, form=form)
    session, now = db.session(), utcnow()
    try:
        account = accounts.authenticate(
            session,
            form.username.data or "",
            form.password.data or "",
            profile=password_profile(),
            setup_code_lifetime=setup_code_lifetime(),
            now=now,
        )
    except accounts.LoginFailed as error:
        form.password.errors = [refusals.wording(error)]
        return page("staff/login.html", status=401, form=form)
    if two_factor.enrolled(account):
        return ask_for_code(account)
    sign_in(session, account, now=now)
    accounts.record_sign_in(session, account, now=now)
    return redirect(url_for("staff.day"), code=303)


@blp.post("/logout")
@staff_only(*EVERYONE)
@transactional
def logout() -> Response:
    """End the session on the server."""
    session = db.session()
    accounts.record_sign_out(session, current(), now=utcnow())
    sign_out(session)
    flash("Du er logget ud.")
    return redirect(url_for("staff.login_form"), code=303)


def _password_form() -> PasswordForm:
    """Return the form that fits: no current password while the account has only a setup code."""
    return PasswordForm() if current().must_set_password else ChangePasswordForm()


@blp.get("/password")
@staff_only(*EVERYONE)
def password_form() -> tuple[str, int]:
    """Choose a password (required after signing in with a setup code), or change it."""
    return page("staff/password.html", form=_password_form())


@blp.post("/password")
@password_confirmation
@staff_only(*EVERYONE)
@fail_closed
@transactional
def password() -> tuple[str, int] | Response:
    """Set the password; every other session of the account ends, this one starts afresh."""
    form = _password_form()
    if not form.validate():
        return page("staff/password.html", status=422, form=form)
    session, account, now = db.session(), current(), utcnow()
    try:
        if isinstance(form, ChangePasswordForm):
            accounts.change_password(
                session,
                account,
                form.current.data or "",
                form.password.data or "",
                profile=password_profile(),
                now=now,
            )
        else:
            accounts.set_password(
                session, account, form.password.data or "", profile=password_profile(), now=now
            )
    except accounts.WrongPassword as error:
        form.current.errors = [refusals.wording(error)]
        return page("staff/password.html", status=401, form=form)
    except accounts.WeakPassword as error:
        form.password.errors = [refusals.wording(error)]
        return page("staff/password.html", status=422, form=form)
    sign_in(session, account, now=now)
    flash("Din adgangskode er gemt.")
    return redirect(url_for("staff.day"), code=303)


@blp.get("/")
@staff_only(*EVERYONE)
def day() -> tuple[str, int]:
    """The centre's day: today's talks and group sessions, by course reference."""
    account = current()
    if account.role not in CENTRE:
        return page("staff/home.html")
    return day_page(local_today(utcnow()), "I dag", "staff.day")
