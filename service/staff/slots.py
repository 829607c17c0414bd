"""Planning at the centre: individual slots, one at a time or by a weekly pattern.

Only a free slot can be removed: one that is or has been booked stays.
The rules (``service.booking.schedule``) decide, and ``schedule_common``
puts their refusals into Danish.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from service import db
from service.booking import day as agenda
from service.booking import reach
from service.booking import schedule as planning
from service.booking.holidays import holiday_on
from service.core.clock import local_to_utc, local_today, utcnow
from service.core.errors import DomainError, NotFound
from service.http.transaction import transactional
from service.models import Slot, SlotKind
from service.staff.agenda import chosen_week
from service.staff.auth import CENTRE, own_centre, staff_only
from service.staff.blueprint import blp
from service.staff.pages import WEEKDAYS, page, when
from service.staff.schedule_common import (
    Answer,
    count,
    current_actor,
    pattern_times,
    refused,
    skipped_note,
)
from service.staff.schedule_forms import KIND_NAMES, PatternForm, SlotForm

# A pattern whose every time falls on a holiday adds nothing.
ALL_HOLIDAYS = "Alle mønsterets tider falder på helligdage. Sæt flueben for at bruge dem alligevel."


def _own_slot(slot_id: uuid.UUID) -> Slot:
    """Return a slot of the account's centre; another centre's is as good as missing (404)."""
    try:
        return reach.own(db.session(), current_actor(), Slot, slot_id)
    except NotFound:
        abort(404)


def _slots_page(
    form: SlotForm | None = None,
    status: int = 200,
    problem: str | None = None,
    *,
    week: date | None = None,
) -> Answer:
    """Render the slots of one week that have not ended, day by day, with the form to add one."""
    now = utcnow()
    this_week = agenda.monday_of(local_today(now))
    monday = max(week or chosen_week(local_today(now)), this_week)
    until = agenda.local_midnight(monday + timedelta(days=7))
    since = max(now, agenda.local_midnight(monday))
    planned = planning.centre_slots(
        db.session(), current_actor(), own_centre(), since=since, until=until
    )
    return page(
        "staff/schedule_slots.html",
        status,
        form=form or SlotForm(),
        days=agenda.by_date(planned),
        monday=monday,
        sunday=monday + timedelta(days=6),
        week_number=monday.isocalendar().week,
        previous=monday - timedelta(days=7) if monday > this_week else None,
        next=monday + timedelta(days=7),
        weekdays=WEEKDAYS,
        holiday_on=holiday_on,
        kinds=KIND_NAMES,
        problem=problem,
    )


def monday_of(instant: datetime) -> str:
    """Return the Monday of an instant's Copenhagen week, as the slots page's ``uge`` value."""
    return agenda.monday_of(local_today(instant)).isoformat()


@blp.get("/slots")
@staff_only(*CENTRE)
def slots() -> Answer:
    """The centre's coming slots of one week, day by day, who holds each by course reference,
    and a form to add one."""
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
    return redirect(url_for("staff.slots", uge=monday_of(start)), code=303)


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
        times, holidays = pattern_times(form)
        if holidays and not times:
            form.weekdays.errors = [ALL_HOLIDAYS]
            return _pattern_page(form, 422)
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
    flash(message + skipped_note(holidays))
    return redirect(url_for("staff.slots", uge=monday_of(created[0].starts_at)), code=303)


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
        week = agenda.monday_of(local_today(slot.starts_at))
        return _slots_page(status=status, problem=f"{shown}: {problem}", week=week)
    flash(f"Tiden {shown} er fjernet.")
    return redirect(url_for("staff.slots", uge=monday_of(slot.starts_at)), code=303)
