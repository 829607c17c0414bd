"""Administration: staff accounts, centres, API keys and the audit trail.

Administrators manage everything; a centre's administrator manages the
accounts of its own centre and reads its centre's audit trail. The rules
(service.booking.accounts, .directory, .keys) decide what may be made;
these views only ask them and put their answer into Danish.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from service import db
from service.api.transaction import transactional
from service.booking import accounts, directory, errors, keys, two_factor
from service.booking.accounts import actor_of
from service.booking.clock import LOCAL, utcnow
from service.models import (
    CENTRE_ROLES,
    ApiKey,
    AuditEvent,
    Centre,
    Course,
    Group,
    GroupSession,
    Municipality,
    Role,
    StaffAccount,
)
from service.staff.admin_forms import ROLE_NAMES, AccountForm, ApiKeyForm, CentreForm
from service.staff.auth import current, password_profile, setup_code_lifetime, staff_only
from service.staff.blueprint import blp
from service.staff.pages import nav_entry, page
from service.web.common import keyring

MANAGERS = (Role.ADMIN, Role.CENTRE_ADMIN)
PER_PAGE = 50
REACHES = ("centre", "municipality", "national")

nav_entry("staff.accounts", "Konti", MANAGERS)
nav_entry("staff.centres", "Steder", (Role.ADMIN,))
nav_entry("staff.api_keys", "API-nøgler", (Role.ADMIN,))
nav_entry("staff.audit", "Log", MANAGERS)

OWN_TWO_FACTOR = "Dit eget totrinslogin nulstiller du under Totrinslogin."
PERSONAL_DATA = "Teksten ligner et CPR-nummer. Diskret gemmer ingen personnumre."
BUSY = "Der er travlt lige nu, og intet blev gemt. Prøv igen om et øjeblik."

# What a refusal of the rules means, by the field it names.
ACCOUNT_REFUSALS = {
    "username": "Brugernavnet kan ikke bruges: det skal være 3-40 bogstaver, tal, punktummer "
    "eller bindestreger og må ikke være taget.",
    "centre_id": "Vælg stedet og ingen kommune: medarbejdere og stedets administratorer hører "
    "til ét sted.",
    "municipality": "Vælg kommunen og intet sted: en koordinator hører til én kommune.",
    "role": "En administrator har hverken sted eller kommune. Fjern stedet og kommunen.",
    "account": "Du kan ikke lukke din egen konto.",
    "own_account": "Du kan ikke give dig selv en ny engangskode. Skift din adgangskode i stedet.",
}
CENTRE_REFUSALS = {
    "name": "Skriv stedets navn (højst 120 tegn).",
    "municipality": "Vælg kommunen.",
    "address": "Skriv adressen (højst 200 tegn).",
    "entrance": "Beskrivelsen af indgangen må højst være 2000 tegn.",
    "opening_hours": "Åbningstiderne må højst være 200 tegn.",
    "languages": "Skriv sprogene som koder på to bogstaver adskilt af mellemrum, fx: da en",
}
KEY_REFUSALS = {
    "name": f"Giv nøglen et navn på 1-{keys.LONGEST_NAME} tegn.",
    "scopes": "Vælg mindst én rettighed.",
    "reach": "Bind nøglen til ét sted eller én kommune, ikke begge.",
    "centre_id": "Vælg stedet.",
    "municipality": "Vælg kommunen.",
    "scope_reach": (
        "En nøgle med centre:manage hører til ét sted, og en nøgle med tokens:verify "
        "til et sted eller en kommune."
    ),
}
ACTIONS = {
    "account.created": "Konto oprettet",
    "account.deactivated": "Konto lukket",
    "account.password_set": "Adgangskode valgt",
    "centre.created": "Sted oprettet",
    "api_key.created": "API-nøgle oprettet",
    "api_key.revoked": "API-nøgle tilbagekaldt",
    "course.approved": "Godkendt efter første samtale",
    "course.referred": "Henvist til almindelig behandling",
    "course.completed": "Forløb gennemført",
    "course.dropped": "Forløb afbrudt",
    "course.token_replaced": "Ny kode udleveret",
    "course.booked_for_caller": "Booket for en borger i telefonen",
    "group.created": "Gruppe oprettet",
    "group.updated": "Gruppe ændret",
    "attendance.recorded": "Fremmøde registreret",
    "slots.added": "Tider oprettet",
    "slot.removed": "Tid fjernet",
    "group_session.moved": "Gruppemøde flyttet",
    "account.two_factor_enrolled": "Totrinslogin slået til",
    "account.two_factor_disabled": "Totrinslogin slået fra",
    "account.two_factor_refused": "Forkert kode ved totrinslogin",
    "account.signed_in": "Logget ind",
    "account.signed_in_recovery": "Logget ind med en gendannelseskode",
    "account.signed_out": "Logget ud",
    "account.sign_in_refused": "Login afvist",
    "account.setup_code_issued": "Ny engangskode udstedt",
}
OBJECTS = {
    "account": "Konto",
    "centre": "Sted",
    "api_key": "API-nøgle",
    "course": "Forløb",
    "group": "Gruppe",
    "group_session": "Gruppemøde",
    "slot": "Tid",
}


def _refusal(error: errors.DomainError, messages: dict[str, str]) -> str:
    """Return the Danish message for a refusal of the rules."""
    if isinstance(error, errors.PersonalDataRefused):
        return PERSONAL_DATA
    if isinstance(error, errors.Busy):
        return BUSY
    return messages.get(str(error.data.get("field")), "Det kunne ikke lade sig gøre.")


def _status(error: errors.DomainError) -> int:
    return {"invalid": 422, "busy": 503}.get(error.kind, 409)


def _show(
    error: errors.DomainError, messages: dict[str, str], fields: dict[str, Field]
) -> str | None:
    """Put a refusal next to the field it names; return it when no field of the form fits."""
    message = _refusal(error, messages)
    field = fields.get(str(error.data.get("field")))
    if field is None:
        return message
    field.errors = [message]
    return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _centre_choices(*, blank: str | None) -> list[SelectChoice]:
    first = [SelectChoice("", blank)] if blank else []
    return first + [SelectChoice(str(c.id), c.name) for c in directory.centres(db.session())]


def _municipality_choices(blank: str) -> list[SelectChoice]:
    every = directory.municipalities(db.session())
    return [SelectChoice("", blank)] + [SelectChoice(m.code, f"{m.name} ({m.code})") for m in every]


# Accounts


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
        form.centre.choices = _centre_choices(blank="Intet sted")
        form.municipality.choices = _municipality_choices("Ingen kommune")
    else:
        own = db.session().get_one(Centre, manager.centre_id)
        form.centre.choices = [SelectChoice(str(own.id), own.name)]
        form.municipality.choices = [SelectChoice("", "Ingen kommune")]
    return form


def _accounts_page(
    form: AccountForm, status: int = 200, problem: str | None = None
) -> tuple[str, int]:
    manager = current()
    query = (
        select(StaffAccount, Centre.name, Municipality.name)
        .outerjoin(Centre, Centre.id == StaffAccount.centre_id)
        .outerjoin(Municipality, Municipality.code == StaffAccount.municipality_code)
        .order_by(StaffAccount.username)
    )
    if manager.role is not Role.ADMIN:
        query = query.where(
            StaffAccount.centre_id == manager.centre_id,
            StaffAccount.role.in_(CENTRE_ROLES),
        )
    rows = db.session().execute(query).all()
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
            centre_id=_uuid(form.centre.data),
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
        problem = _show(error, ACCOUNT_REFUSALS, fields)
        return _accounts_page(form, _status(error), problem)
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
        problem = _refusal(error, ACCOUNT_REFUSALS)
        return _accounts_page(AccountForm(formdata=None), _status(error), problem)
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
        problem = _refusal(error, ACCOUNT_REFUSALS)
        return _accounts_page(AccountForm(formdata=None), _status(error), problem)
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


# Centres


def _centres_page(
    form: CentreForm, status: int = 200, problem: str | None = None
) -> tuple[str, int]:
    form.municipality.choices = _municipality_choices("Vælg kommunen")
    return page(
        "staff/admin_centres.html",
        status=status,
        form=form,
        centres=directory.centres(db.session()),
        problem=problem,
    )


@blp.get("/centres")
@staff_only(Role.ADMIN)
def centres() -> tuple[str, int]:
    """Every centre, and a form for a new one."""
    return _centres_page(CentreForm(formdata=None))


@blp.post("/centres")
@staff_only(Role.ADMIN)
@transactional
def create_centre() -> tuple[str, int] | Response:
    """Add a centre; its texts are checked for CPR numbers by the rules."""
    form = CentreForm()
    form.municipality.choices = _municipality_choices("Vælg kommunen")
    if not form.validate():
        return _centres_page(form, 422)
    try:
        centre = directory.create_centre(
            db.session(),
            actor_of(current()),
            name=form.name.data or "",
            municipality_code=form.municipality.data or "",
            address=form.address.data or "",
            entrance=form.entrance.data or "",
            opening_hours=form.opening_hours.data or "",
            languages=form.languages.data or "",
            now=utcnow(),
        )
    except errors.DomainError as error:
        fields = {name: getattr(form, name) for name in CENTRE_REFUSALS}
        problem = _show(error, CENTRE_REFUSALS, fields)
        return _centres_page(form, _status(error), problem)
    flash(f"Stedet {centre.name} er oprettet.")
    return redirect(url_for("staff.centres"), code=303)


# API keys


def _fill_key_form(form: ApiKeyForm) -> ApiKeyForm:
    form.centre.choices = _centre_choices(blank="Vælg stedet")
    form.municipality.choices = _municipality_choices("Vælg kommunen")
    return form


def _keys_page(form: ApiKeyForm, status: int = 200, problem: str | None = None) -> tuple[str, int]:
    session = db.session()
    centre_names = {c.id: c.name for c in directory.centres(session)}
    municipality_names = {m.code: m.name for m in directory.municipalities(session)}
    return page(
        "staff/admin_api_keys.html",
        status=status,
        form=_fill_key_form(form),
        keys=keys.listing(session),
        centre_names=centre_names,
        municipality_names=municipality_names,
        problem=problem,
        day=lambda instant: f"{instant.astimezone(LOCAL):%d.%m.%Y}",
    )


@blp.get("/api-keys")
@staff_only(Role.ADMIN)
def api_keys() -> tuple[str, int]:
    """Every API key by name, scopes, reach and days (never the key), and a form for a new one."""
    return _keys_page(ApiKeyForm(formdata=None))


@blp.post("/api-keys")
@staff_only(Role.ADMIN)
@transactional
def create_api_key() -> tuple[str, int] | Response:
    """Create a key; it is shown on this answer only, and kept only as a digest."""
    form = _fill_key_form(ApiKeyForm())
    if not form.validate():
        return _keys_page(form, 422)
    if form.reach.data not in REACHES:
        form.reach.errors = ["Vælg nøglens rækkevidde."]
        return _keys_page(form, 422)
    centre_id = _uuid(form.centre.data) if form.reach.data == "centre" else None
    code = (form.municipality.data or None) if form.reach.data == "municipality" else None
    if form.reach.data == "centre" and centre_id is None:
        form.centre.errors = [KEY_REFUSALS["centre_id"]]
        return _keys_page(form, 422)
    if form.reach.data == "municipality" and code is None:
        form.municipality.errors = [KEY_REFUSALS["municipality"]]
        return _keys_page(form, 422)
    try:
        made = keys.create(
            db.session(),
            keyring(),
            actor_of(current()),
            name=form.name.data or "",
            scopes=form.scopes.data or [],
            centre_id=centre_id,
            municipality_code=code,
            now=utcnow(),
        )
    except errors.DomainError as error:
        fields = {
            "name": form.name,
            "scopes": form.scopes,
            "scope_reach": form.reach,
            "reach": form.reach,
            "centre_id": form.centre,
            "municipality": form.municipality,
        }
        problem = _show(error, KEY_REFUSALS, fields)
        return _keys_page(form, _status(error), problem)
    return page("staff/admin_api_key_created.html", row=made.row, key=made.key)


@blp.post("/api-keys/<uuid:key_id>/revoke")
@staff_only(Role.ADMIN)
@transactional
def revoke_api_key(key_id: uuid.UUID) -> Response:
    """Revoke a key: the next request that carries it is refused."""
    try:
        row = keys.revoke(db.session(), actor_of(current()), key_id, now=utcnow())
    except errors.NotFound:
        abort(404)
    flash(f"Nøglen {row.name} er tilbagekaldt og virker ikke længere.")
    return redirect(url_for("staff.api_keys"), code=303)


# The audit trail


def _names(events: list[AuditEvent]) -> dict[uuid.UUID, str]:
    """Name the actors and objects of the events: usernames, key, centre and group names."""
    ids = {e.actor_id for e in events if e.actor_id} | {e.object_id for e in events if e.object_id}
    if not ids:
        return {}
    session, found = db.session(), dict[uuid.UUID, str]()
    for model, label in (
        (StaffAccount, StaffAccount.username),
        (ApiKey, ApiKey.name),
        (Centre, Centre.name),
        (Group, Group.name),
        (Course, Course.reference),
    ):
        named = session.execute(select(model.id, label).where(model.id.in_(ids)))
        found.update((object_id, name) for object_id, name in named)
    meetings = session.execute(
        select(GroupSession.id, Group.name, GroupSession.number)
        .join(Group, Group.id == GroupSession.group_id)
        .where(GroupSession.id.in_(ids))
    )
    found.update((meeting, f"{name}, møde {number}") for meeting, name, number in meetings)
    return found


def _action(action: str) -> str:
    name, _, count = action.partition(":")
    label = ACTIONS.get(name, action)
    return f"{label} ({count})" if count else label


@blp.get("/audit")
@staff_only(*MANAGERS)
def audit() -> tuple[str, int]:
    """Who did what to which object, and when: newest first, 50 to a page."""
    manager = current()
    number = request.args.get("side", "1")
    side = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if manager.role is not Role.ADMIN:
        query = query.where(AuditEvent.centre_id == manager.centre_id)
    found = list(db.session().scalars(query.offset((side - 1) * PER_PAGE).limit(PER_PAGE + 1)))
    events = found[:PER_PAGE]
    return page(
        "staff/admin_audit.html",
        events=events,
        names=_names(events),
        action=_action,
        objects=OBJECTS,
        side=side,
        more=len(found) > PER_PAGE,
    )
