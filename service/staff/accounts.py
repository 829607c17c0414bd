"""Staff accounts: creating and closing them, new setup codes, and resetting two-factor sign-in.

Administrators manage every account; a centre's administrator manages the
accounts of its own centre. The rules (service.identity.accounts) decide
which roles a manager may give; these views only ask them and put their
answer into Danish.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from service import db
from service.core import errors
from service.core.clock import utcnow
from service.http.transaction import transactional
from service.identity import accounts, two_factor
from service.models import Centre, Role, StaffAccount
from service.staff import refusals
from service.staff.admin_common import (
    MANAGERS,
    centre_choices,
    municipality_choices,
    parse_uuid,
    refusal,
    refusal_status,
    show_refusal,
)
from service.staff.admin_forms import ROLE_NAMES, AccountForm
from service.staff.auth import current, password_profile, setup_code_lifetime, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page

OWN_TWO_FACTOR = "Dit eget totrinslogin nulstiller du under Totrinslogin."


def _setup_code_hours() -> int:
    return int(setup_code_lifetime().total_seconds()) // 3600


def _manageable_roles(manager: StaffAccount) -> list[Role]:
    return [role for role in Role if accounts.may_manage(manager, role, manager.centre_id)]


def _fill_account_form(form: AccountForm) -> AccountForm:
    manager = current()
    form.role.choices = [
        SelectChoice(role.value, ROLE_NAMES[role.value]) for role in _manageable_roles(manager)
    ]
    if manager.role is Role.ADMIN:
        form.centre.choices = centre_choices(blank="Intet sted")
        form.municipality.choices = municipality_choices("Ingen kommune")
    else:
        own = db.session().get_one(Centre, manager.centre_id)
        form.centre.choices = [SelectChoice(str(own.id), own.name)]
        form.municipality.choices = [SelectChoice("", "Ingen kommune")]
    return form


def _accounts_page(
    form: AccountForm, status: int = 200, problem: str | None = None
) -> tuple[str, int]:
    manager = current()
    rows = accounts.within_reach(db.session(), accounts.actor_of(manager))
    return page(
        "staff/admin_accounts.html",
        status=status,
        form=_fill_account_form(form),
        rows=rows,
        roles=ROLE_NAMES,
        problem=problem,
        may_deactivate=lambda account: (
            account.active
            and account.id != manager.id
            and accounts.may_manage(manager, account.role, account.centre_id)
        ),
        # Only an administrator resets another's two-factor sign-in (a lost phone).
        may_reset_two_factor=lambda account: (
            manager.role is Role.ADMIN and account.id != manager.id and two_factor.enrolled(account)
        ),
        enrolled=two_factor.enrolled,
    )


@blp.get("/accounts", endpoint="accounts")
@staff_only(*MANAGERS)
def account_list() -> tuple[str, int]:
    """The accounts within reach, and a form for a new one."""
    return _accounts_page(AccountForm(formdata=None))


@blp.post("/accounts")
@staff_only(*MANAGERS)
@transactional
def create_account() -> tuple[str, int] | Response:
    """Create an account; its one-time setup code is shown on this answer only."""
    form, manager = _fill_account_form(AccountForm()), current()
    if not form.validate():
        return _accounts_page(form, 422)
    if form.role.data not in {role.value for role in _manageable_roles(manager)}:
        form.role.errors = ["Vælg en af rollerne på listen."]
        return _accounts_page(form, 422)
    try:
        made = accounts.create(
            db.session(),
            username=form.username.data or "",
            role=Role(form.role.data),
            centre_id=parse_uuid(form.centre.data),
            municipality_code=form.municipality.data or None,
            created_by=manager,
            profile=password_profile(),
            now=utcnow(),
        )
    except errors.NotFound:
        abort(404)
    except errors.DomainError as error:
        fields = {
            "username": form.username,
            "role": form.role,
            "centre_id": form.centre,
            "municipality": form.municipality,
        }
        problem = show_refusal(error, refusals.ACCOUNT_FIELDS, fields)
        return _accounts_page(form, refusal_status(error), problem)
    return page(
        "staff/admin_account_created.html",
        account=made.account,
        role=ROLE_NAMES[made.account.role.value],
        setup_code=made.setup_code,
        hours=_setup_code_hours(),
    )


@blp.post("/accounts/<uuid:account_id>/deactivate")
@staff_only(*MANAGERS)
@transactional
def deactivate_account(account_id: uuid.UUID) -> tuple[str, int] | Response:
    """Switch an account off; every session of it ends at once."""
    try:
        account = accounts.deactivate(db.session(), current(), account_id, now=utcnow())
    except errors.NotFound:
        abort(404)
    except errors.DomainError as error:
        problem = refusal(error, refusals.ACCOUNT_FIELDS)
        return _accounts_page(AccountForm(formdata=None), refusal_status(error), problem)
    flash(f"Kontoen {account.username} er lukket, og den er logget ud overalt.")
    return redirect(url_for("staff.accounts"), code=303)


@blp.post("/accounts/<uuid:account_id>/setup-code")
@staff_only(*MANAGERS)
@transactional
def issue_setup_code(account_id: uuid.UUID) -> tuple[str, int] | Response:
    """Replace an account's password with a new setup code (shown once); its sessions end."""
    try:
        made = accounts.issue_setup_code(
            db.session(), current(), account_id, profile=password_profile(), now=utcnow()
        )
    except errors.NotFound:
        abort(404)
    except errors.DomainError as error:
        problem = refusal(error, refusals.ACCOUNT_FIELDS)
        return _accounts_page(AccountForm(formdata=None), refusal_status(error), problem)
    return page(
        "staff/admin_setup_code.html",
        account=made.account,
        setup_code=made.setup_code,
        hours=_setup_code_hours(),
        enrolled=two_factor.enrolled,
    )


@blp.post("/accounts/<uuid:account_id>/two-factor/reset")
@staff_only(Role.ADMIN)
@transactional
def reset_two_factor(account_id: uuid.UUID) -> tuple[str, int] | Response:
    """Remove another account's authenticator and recovery codes (a lost phone); sign it out."""
    if account_id == current().id:
        # One's own goes through the Totrinslogin page, which asks for the password.
        return _accounts_page(AccountForm(formdata=None), 409, OWN_TWO_FACTOR)
    try:
        account = two_factor.disable(db.session(), current(), account_id, now=utcnow())
    except errors.NotFound:
        abort(404)
    flash(
        f"Totrinslogin for {account.username} er nulstillet, og kontoen er logget ud overalt. "
        "Ved næste login skal der opsættes en ny app, hvis rollen kræver det."
    )
    return redirect(url_for("staff.accounts"), code=303)
