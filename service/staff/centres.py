"""Centres: the list of every centre, and adding one (administrators only).

The rules (service.booking.directory) check a centre's texts, which
citizens read, and refuse any that look like a CPR number; these views
only ask them and put their answer into Danish.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from service import db
from service.booking import directory
from service.core import errors
from service.core.clock import utcnow
from service.http.transaction import transactional
from service.identity.accounts import actor_of
from service.models import Role
from service.staff import refusals
from service.staff.admin_common import municipality_choices, refusal_status, show_refusal
from service.staff.admin_forms import CentreForm
from service.staff.auth import current, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page


def _centres_page(
    form: CentreForm, status: int = 200, problem: str | None = None
) -> tuple[str, int]:
    form.municipality.choices = municipality_choices("Vælg kommunen")
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
    form.municipality.choices = municipality_choices("Vælg kommunen")
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
        fields = {name: getattr(form, name) for name in refusals.CENTRE_FIELDS}
        problem = show_refusal(error, refusals.CENTRE_FIELDS, fields)
        return _centres_page(form, refusal_status(error), problem)
    flash(f"Stedet {centre.name} er oprettet.")
    return redirect(url_for("staff.centres"), code=303)
