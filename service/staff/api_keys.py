"""API keys: listing, creating and revoking the keys of other systems (administrators only).

A key is shown once, on the answer that creates it; the rules
(service.identity.keys) keep only its digest and decide which scopes and
reach go together. These views only ask them and put their answer into
Danish.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from service import db
from service.booking import directory
from service.core import errors
from service.core.clock import LOCAL, utcnow
from service.http.keyring import keyring
from service.http.transaction import transactional
from service.identity import keys
from service.identity.accounts import actor_of
from service.models import Role
from service.staff import refusals
from service.staff.admin_common import (
    centre_choices,
    municipality_choices,
    parse_uuid,
    refusal_status,
    show_refusal,
)
from service.staff.admin_forms import ApiKeyForm
from service.staff.auth import current, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page

REACHES = ("centre", "municipality", "national")


def _fill_key_form(form: ApiKeyForm) -> ApiKeyForm:
    form.centre.choices = centre_choices(blank="Vælg stedet")
    form.municipality.choices = municipality_choices("Vælg kommunen")
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
    centre_id = parse_uuid(form.centre.data) if form.reach.data == "centre" else None
    code = (form.municipality.data or None) if form.reach.data == "municipality" else None
    if form.reach.data == "centre" and centre_id is None:
        form.centre.errors = [refusals.KEY_FIELDS["centre_id"]]
        return _keys_page(form, 422)
    if form.reach.data == "municipality" and code is None:
        form.municipality.errors = [refusals.KEY_FIELDS["municipality"]]
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
        problem = show_refusal(error, refusals.KEY_FIELDS, fields)
        return _keys_page(form, refusal_status(error), problem)
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
