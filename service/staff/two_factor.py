"""Two-factor sign-in pages: setting up an authenticator, and the code step of signing in.

The rules are service.identity.two_factor; these views carry its sealed values
through hidden fields, draw the secret as an inline SVG QR code (no script,
no image from elsewhere: the CSP allows neither), and put refusals into Danish.
"""

from __future__ import annotations

import uuid

import segno
from flask import flash, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from service import db
from service.core.clock import utcnow
from service.http.keyring import keyring
from service.http.transaction import transactional
from service.identity import accounts, two_factor
from service.limits import configured, fail_closed, limiter, staff_sign_in
from service.models import StaffAccount
from service.staff import refusals
from service.staff.auth import (
    EVERYONE,
    current,
    password_confirmation,
    password_profile,
    sign_in,
    staff_only,
    totp_roles,
)
from service.staff.blueprint import blp
from service.staff.forms import ConfirmPasswordForm, EnrolForm, LoginForm, SignInCodeForm
from service.staff.pages import page

# Below this many unused recovery codes, whoever signs in with one is told to
# set up the authenticator again, which also gives ten new codes.
FEW_RECOVERY_CODES = 3
SIGN_IN_AGAIN = "Log ind igen: der gik mere end fem minutter, eller siden var ikke længere gyldig."


def _failed(response: Response) -> bool:
    return response.status_code == 401


# The code step of signing in


def ask_for_code(account: StaffAccount) -> tuple[str, int]:
    """Answer a right password of an account with TOTP: the code page, not yet a session."""
    pending = two_factor.seal_sign_in(keyring(), account.id, now=utcnow())
    return page("staff/login_code.html", form=SignInCodeForm(formdata=None, pending=pending))


def _pending_account() -> uuid.UUID | None:
    return two_factor.unseal_sign_in(keyring(), request.form.get("pending", ""), now=utcnow())


def _pending_key() -> str:
    """Key the per-account code limit on a keyed digest of the account the sealed value names."""
    account_id = _pending_account()
    if account_id is None:
        # Altered or expired values open nothing; they share one bucket.
        return "login-code:none"
    digest = keyring().digest(account_id.bytes, purpose="ratelimit-login-code")
    return "login-code:" + digest.value.hex()[:32]


def _recovery_notice(left: int) -> str:
    notice = f"Du loggede ind med en gendannelseskode. Du har {left} tilbage."
    if left <= FEW_RECOVERY_CODES:
        notice += (
            " Opsæt din godkendelsesapp igen under Totrinslogin: så får du ti nye "
            "gendannelseskoder."
        )
    return notice


@blp.post("/login/code")
@staff_sign_in
@limiter.limit(
    lambda: configured("RATELIMIT_LOGIN_CODE"), key_func=_pending_key, deduct_when=_failed
)
@fail_closed
@transactional
def login_code() -> tuple[str, int] | Response:
    """Check the code, then start the session; the sealed value names the account, for 5 minutes.

    Only wrong codes count towards the limits, per account and per client.
    """
    form, session, now = SignInCodeForm(), db.session(), utcnow()
    account_id = _pending_account()
    account = session.get(StaffAccount, account_id) if account_id else None
    if account is None or not account.active:
        login = LoginForm(formdata=None)
        login.password.errors = [SIGN_IN_AGAIN]
        return page("staff/login.html", status=401, form=login)
    if not form.validate():
        return page("staff/login_code.html", status=422, form=form)
    try:
        verified = two_factor.verify(
            session, keyring(), account, form.code.data or "", profile=password_profile(), now=now
        )
    except two_factor.CodeRefused as error:
        form.code.errors = [refusals.wording(error)]
        return page("staff/login_code.html", status=401, form=form)
    sign_in(session, account, now=now)
    accounts.record_sign_in(session, account, recovery_code=verified.kind == "recovery", now=now)
    if verified.kind == "recovery":
        flash(_recovery_notice(verified.recovery_left))
    return redirect(url_for("staff.day"), code=303)


# Setting up, resetting and turning off


def _qr(uri: str) -> Markup:
    """Draw the otpauth:// URI as inline SVG: no script, no request, allowed by the CSP."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="qr", title="QR-kode til godkendelsesappen"
    )
    # segno writes the markup itself; nothing typed by anyone is in it.
    return Markup(svg)  # noqa: S704


def _enrolment_page(form: EnrolForm, secret: str, status: int = 200) -> tuple[str, int]:
    enrolment = two_factor.enrolment(current(), secret)
    form.pending.data = two_factor.seal_pending(keyring(), current().id, secret)
    return page(
        "staff/two_factor.html",
        status=status,
        form=form,
        qr=_qr(enrolment.uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


def _status_page(
    form: ConfirmPasswordForm, status: int = 200, problem: str | None = None
) -> tuple[str, int]:
    account = current()
    return page(
        "staff/two_factor_status.html",
        status=status,
        form=form,
        problem=problem,
        left=two_factor.recovery_left(db.session(), account.id),
        required=two_factor.required(account, totp_roles()),
    )


@blp.get("/two-factor", endpoint="two_factor")
@staff_only(*EVERYONE)
def two_factor_page() -> tuple[str, int]:
    """Set up an authenticator (a new secret each time), or, once set up, reset or turn it off."""
    if two_factor.enrolled(current()):
        return _status_page(ConfirmPasswordForm(formdata=None))
    return _enrolment_page(EnrolForm(formdata=None), two_factor.start_enrolment(current()).secret)


@blp.post("/two-factor", endpoint="two_factor_confirm")
@staff_only(*EVERYONE)
@transactional
def two_factor_confirm() -> tuple[str, int] | Response:
    """Store the secret once the first code is right; show the recovery codes, this once."""
    form, account = EnrolForm(), current()
    secret = two_factor.unseal_pending(keyring(), account.id, form.pending.data or "")
    if secret is None:
        # An altered or foreign value: start again with a new secret.
        form.code.errors = ["Siden var ikke længere gyldig. Opsæt appen med den nye QR-kode."]
        return _enrolment_page(form, two_factor.start_enrolment(account).secret, 422)
    if not form.validate():
        return _enrolment_page(form, secret, 422)
    try:
        codes = two_factor.confirm_enrolment(
            db.session(),
            keyring(),
            account,
            secret,
            form.code.data or "",
            profile=password_profile(),
            now=utcnow(),
        )
    except two_factor.AlreadyEnrolled as error:
        flash(refusals.wording(error))
        return redirect(url_for("staff.two_factor"), code=303)
    except two_factor.CodeRefused as error:
        form.code.errors = [refusals.wording(error)]
        return _enrolment_page(form, secret, 422)
    return page("staff/two_factor_codes.html", codes=codes)


def _password_confirmed(form: ConfirmPasswordForm) -> bool:
    """Ask for the password again before two-factor sign-in changes (OWASP ASVS 5.0 7.5.1)."""
    if not form.validate():
        return False
    try:
        accounts.confirm_password(current(), form.password.data or "", profile=password_profile())
    except accounts.WrongPassword as error:
        form.password.errors = [refusals.wording(error)]
        return False
    return True


@blp.post("/two-factor/reset")
@password_confirmation
@staff_only(*EVERYONE)
@fail_closed
@transactional
def two_factor_reset() -> tuple[str, int] | Response:
    """Remove the authenticator and the recovery codes, then set up a new one (a new phone)."""
    form = ConfirmPasswordForm()
    if not _password_confirmed(form):
        return _status_page(form, 401)
    account = current()
    two_factor.disable(db.session(), account, account.id, now=utcnow())
    flash("Den gamle app og dine gendannelseskoder virker ikke længere. Opsæt den nye app her.")
    return redirect(url_for("staff.two_factor"), code=303)


@blp.post("/two-factor/off")
@password_confirmation
@staff_only(*EVERYONE)
@fail_closed
@transactional
def two_factor_off() -> tuple[str, int] | Response:
    """Turn two-factor sign-in off, where the account's role does not require it."""
    form = ConfirmPasswordForm()
    if not _password_confirmed(form):
        return _status_page(form, 401)
    try:
        two_factor.switch_off(db.session(), current(), required_roles=totp_roles(), now=utcnow())
    except two_factor.Required as error:
        return _status_page(ConfirmPasswordForm(formdata=None), 409, refusals.wording(error))
    flash("Totrinslogin er slået fra. Du logger nu ind med adgangskoden alene.")
    return redirect(url_for("staff.two_factor"), code=303)
