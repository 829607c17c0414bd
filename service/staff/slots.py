"""Planning at the centre: individual slots, one at a time or by a weekly pattern.

Only a free slot can be removed: one that is or has been booked stays.
The rules (``service.booking.schedule``) decide, and ``schedule_common``
puts their refusals into Danish.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from service import db
from service.booking import reach
from service.booking import schedule as planning
from service.core.clock import local_to_utc, utcnow
from service.core.errors import DomainError, NotFound
from service.http.transaction import transactional
from service.models import Slot, SlotKind
from service.staff.auth import CENTRE, own_centre, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page, when
from service.staff.schedule_common import Answer, count, current_actor, pattern_times, refused
from service.staff.schedule_forms import KIND_NAMES, PatternForm, SlotForm

# The most slots one page lists.
SLOT_PAGE = 200


def _own_slot(slot_id: uuid.UUID) -> Slot:
    """Return a slot of the account's centre; another centre's is as good as missing (404)."""
    try:
        return reach.own(db.session(), current_actor(), Slot, slot_id)
    except NotFound:
        abort(404)


def _slots_page(
    form: SlotForm | None = None, status: int = 200, problem: str | None = None
) -> Answer:
    planned = planning.centre_slots(
        db.session(), current_actor(), own_centre(), now=utcnow(), limit=SLOT_PAGE
    )
    return page(
        "staff/schedule_slots.html",
        status,
        form=form or SlotForm(),
        slots=planned,
        full=len(planned) == SLOT_PAGE,
        kinds=KIND_NAMES,
        problem=problem,
    )


@blp.get("/slots")
@staff_only(*CENTRE)
def slots() -> Answer:
    """The centre's coming slots, who holds each by course reference, and a form to add one."""
    return _slots_page()


@blp.post("/slots")
@staff_only(*CENTRE)
@transactional
def add_slot() -> Answer | Response:
    """Add one slot at a Copenhagen date and time."""
    form = SlotForm()
    if not form.validate():
        return _slots_page(form, 422)
    try:
        start = local_to_utc(form.day.data, form.start.data)
        created = planning.add_slots(
            db.session(),
            current_actor(),
            own_centre(),
            SlotKind(form.kind.data),
            [(start, start + timedelta(minutes=form.minutes.data))],
            now=utcnow(),
        )
    except DomainError as error:
        return _slots_page(form, *refused(form, error))
    if not created:
        form.start.errors = ["Der er allerede en tid af den slags på det tidspunkt."]
        return _slots_page(form, 409)
    flash(f"Tiden {when(start)} er tilføjet.")
    return redirect(url_for("staff.slots"), code=303)


def _pattern_page(form: PatternForm, status: int = 200, problem: str | None = None) -> Answer:
    return page("staff/schedule_pattern.html", status, form=form, problem=problem)


@blp.get("/slots/pattern")
@staff_only(*CENTRE)
def slot_pattern_form() -> Answer:
    """Add slots by a weekly pattern."""
    return _pattern_page(PatternForm())


@blp.post("/slots/pattern")
@staff_only(*CENTRE)
@transactional
def add_slot_pattern() -> Answer | Response:
    """Add the pattern's slots; times the centre already has for that kind are skipped."""
    form = PatternForm()
    if not form.validate():
        return _pattern_page(form, 422)
    try:
        times = pattern_times(form)
        created = planning.add_slots(
            db.session(),
            current_actor(),
            own_centre(),
            SlotKind(form.kind.data),
            times,
            now=utcnow(),
        )
    except DomainError as error:
        return _pattern_page(form, *refused(form, error))
    if not created:
        form.start.errors = ["Stedet har allerede alle mønsterets tider."]
        return _pattern_page(form, 409)
    skipped = len(set(times)) - len(created)
    message = f"{count(len(created), 'tid', 'tider')} er tilføjet."
    if skipped:
        message += f" {count(skipped, 'tid', 'tider')} fandtes allerede og blev sprunget over."
    flash(message)
    return redirect(url_for("staff.slots"), code=303)


@blp.post("/slots/<uuid:slot_id>/remove")
@staff_only(*CENTRE)
@transactional
def remove_slot(slot_id: uuid.UUID) -> Answer | Response:
    """Remove a free slot; a booked one stays."""
    slot = _own_slot(slot_id)
    shown = when(slot.starts_at)
    try:
        planning.remove_slot(db.session(), current_actor(), slot.id, now=utcnow())
    except DomainError as error:
        status, problem = refused(None, error)
        return _slots_page(status=status, problem=f"{shown}: {problem}")
    flash(f"Tiden {shown} er fjernet.")
    return redirect(url_for("staff.slots"), code=303)
