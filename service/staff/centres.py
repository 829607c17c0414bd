"""Centres: the list of every centre, adding one, editing one and closing it (administrators).

The rules (service.booking.centres) check a centre's texts, which citizens
read, and refuse any that hold personal data; these views only ask them and
put their answer into Danish. Closing a centre ends its contracts from that
day; when that leaves a municipality short of § 101 a, stk. 2 the answer is
a warning page (409, nothing saved) whose form sends the closing again with
``confirm``.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from service import db
from service.booking import centres as rules
from service.booking import contracts, directory
from service.core import errors
from service.core.clock import local_today, utcnow
from service.http.transaction import transactional
from service.identity.accounts import actor_of
from service.models import Centre, Role
from service.staff import refusals
from service.staff.admin_common import municipality_choices, refusal_status, show_refusal
from service.staff.admin_forms import CentreForm, CentreTextsForm
from service.staff.auth import current, staff_only
from service.staff.blueprint import blp
from service.staff.contracts import dansk
from service.staff.directory_forms import CloseCentreForm
from service.staff.pages import page

Answer = tuple[str, int]


def _centres_page(form: CentreForm, status: int = 200, problem: str | None = None) -> Answer:
    form.municipality.choices = municipality_choices("Vælg kommunen")
    return page(
        "staff/admin_centres.html",
        status=status,
        form=form,
        centres=directory.centres(db.session()),
        problem=problem,
        today=local_today(utcnow()),
        dansk=dansk,
    )


def _texts(form: CentreTextsForm) -> rules.CentreTexts:
    return rules.CentreTexts(
        name=form.name.data or "",
        address=form.address.data or "",
        entrance=form.entrance.data or "",
        entrance_en=form.entrance_en.data or "",
        opening_hours=form.opening_hours.data or "",
        opening_hours_en=form.opening_hours_en.data or "",
        languages=form.languages.data or "",
        phone=form.phone.data or "",
    )


def _shown(form: CentreTextsForm, error: errors.DomainError) -> str | None:
    fields = {name: getattr(form, name) for name in refusals.CENTRE_FIELDS if hasattr(form, name)}
    return show_refusal(error, refusals.CENTRE_FIELDS, fields)


@blp.get("/centres")
@staff_only(Role.ADMIN)
def centres() -> Answer:
    """Every centre, and a form for a new one."""
    return _centres_page(CentreForm(formdata=None))


@blp.post("/centres")
@staff_only(Role.ADMIN)
@transactional
def create_centre() -> Answer | Response:
    """Add a centre; its texts are checked for personal data by the rules."""
    form = CentreForm()
    form.municipality.choices = municipality_choices("Vælg kommunen")
    if not form.validate():
        return _centres_page(form, 422)
    try:
        centre = rules.create(
            db.session(),
            actor_of(current()),
            municipality_code=form.municipality.data or "",
            texts=_texts(form),
            now=utcnow(),
        )
    except errors.DomainError as error:
        return _centres_page(form, refusal_status(error), _shown(form, error))
    flash(f"Stedet {centre.name} er oprettet. Det kan bookes, når en kommune har kontrakt med det.")
    return redirect(url_for("staff.centres"), code=303)


def _centre_page(
    centre: Centre,
    status: int = 200,
    *,
    edit: CentreTextsForm | None = None,
    close: CloseCentreForm | None = None,
    problem: str | None = None,
) -> Answer:
    today = local_today(utcnow())
    return page(
        "staff/centre.html",
        status=status,
        centre=centre,
        edit=edit or CentreTextsForm(formdata=None, obj=centre),
        close=close or CloseCentreForm(formdata=None, data={"closed_from": today}),
        problem=problem,
        today=today,
        dansk=dansk,
    )


@blp.get("/centres/<uuid:centre_id>")
@staff_only(Role.ADMIN)
def centre(centre_id: uuid.UUID) -> Answer:
    """One centre: its texts to edit, and closing it."""
    return _centre_page(rules.centre(db.session(), actor_of(current()), centre_id))


@blp.post("/centres/<uuid:centre_id>")
@staff_only(Role.ADMIN)
@transactional
def edit_centre(centre_id: uuid.UUID) -> Answer | Response:
    """Save what citizens read of the centre; the next page they open shows it."""
    found = rules.centre(db.session(), actor_of(current()), centre_id)
    form = CentreTextsForm()
    if not form.validate():
        return _centre_page(found, 422, edit=form)
    try:
        rules.update(db.session(), actor_of(current()), found.id, _texts(form), now=utcnow())
    except errors.DomainError as error:
        return _centre_page(found, refusal_status(error), edit=form, problem=_shown(form, error))
    flash(f"Stedet {found.name} er gemt.")
    return redirect(url_for("staff.centre", centre_id=found.id), code=303)


@blp.post("/centres/<uuid:centre_id>/close")
@staff_only(Role.ADMIN)
@transactional
def close_centre(centre_id: uuid.UUID) -> Answer | Response:
    """Close the centre from a day: no new courses there, its contracts end that day."""
    actor = actor_of(current())
    found = rules.centre(db.session(), actor, centre_id)
    form = CloseCentreForm()
    if not form.validate() or form.closed_from.data is None:
        return _centre_page(found, 422, close=form)
    day: date = form.closed_from.data
    try:
        ended = rules.close(
            db.session(),
            actor,
            found.id,
            closed_from=day,
            confirmed=form.confirm.data == "yes",
            now=utcnow(),
        )
    except contracts.BreaksCompliance as warning:
        return page(
            "staff/compliance_confirm.html",
            status=409,
            warning=warning.data,
            what=f"{found.name} lukker fra {dansk(day)}, og stedets kontrakter ophører den dag.",
            action=url_for("staff.close_centre", centre_id=found.id),
            fields={"closed_from": day.isoformat()},
            back=url_for("staff.centre", centre_id=found.id),
            dansk=dansk,
            day=date.fromisoformat(warning.data["on"]),
        )
    except errors.DomainError as error:
        problem = show_refusal(error, {}, {"closed_from": form.closed_from})
        return _centre_page(found, refusal_status(error), close=form, problem=problem)
    flash(f"{found.name} lukker fra {dansk(day)}; {len(ended)} kontrakter ophører den dag.")
    return redirect(url_for("staff.centre", centre_id=found.id), code=303)
