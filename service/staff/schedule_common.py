"""What the planning pages share: refusals in Danish, the centre's own groups, weekly patterns.

Every change on the slot and group pages goes through the rules in
``service.booking.schedule``, as the API's does; a refusal is shown next to
the field it concerns, with a 4xx status so that ``@transactional`` rolls
everything back. Another centre's slot, group or session answers 404, as
if it did not exist (SPEC P9).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import abort
from flask_wtf import FlaskForm

from service import db
from service.core.clock import weekly
from service.core.errors import DomainError
from service.identity.accounts import actor_of
from service.identity.actors import Actor
from service.models import Group
from service.staff.auth import current, own_centre
from service.staff.schedule_forms import GroupForm, PatternForm

Answer = tuple[str, int]

# The rules' refusals in Danish, with the field each concerns (None: the page): first by
# the rule's own text, where one code covers several refusals, then by code and field.
_BY_TEXT: dict[str, tuple[str, str | None]] = {
    "Times must lie in the future.": ("Tiderne skal ligge i fremtiden.", "day"),
    "Each time must end after it starts, within 8 hours.": (
        "En tid skal vare fra 1 minut til 8 timer.",
        "minutes",
    ),
    "Two sessions of the group overlap.": ("To af gruppens møder ville overlappe.", "start"),
    "Give at least one time.": ("Mønsteret giver ingen tider.", "weekdays"),
    "A weekly pattern needs weekdays, a length and a number of weeks.": (
        "Vælg ugedage, en varighed og et antal uger.",
        "weekdays",
    ),
    "A session that has begun cannot be moved.": ("Mødet er begyndt og kan ikke flyttes.", None),
    "Attendance is recorded once the session has begun.": (
        "Fremmøde kan registreres, når mødet er begyndt.",
        None,
    ),
}
_BY_FIELD: dict[tuple[str, str], tuple[str, str | None]] = {
    # local_to_utc: the wall-clock time does not exist that day (spring clock change).
    ("invalid_schedule", "start_time"): (
        "Klokkeslættet findes ikke den dag (skift til sommertid).",
        "start",
    ),
    ("invalid_input", "capacity"): ("Der skal være mindst 1 plads.", "capacity"),
    ("invalid_input", "course_id"): ("Vælg blandt gruppens deltagere.", "present"),
}
_BY_CODE: dict[str, tuple[str, str | None]] = {
    "personal_data_refused": (
        "Navnet ligner et CPR-nummer, en e-mailadresse, et telefonnummer eller en "
        "IP-adresse. Diskret gemmer ingen personoplysninger: giv gruppen et neutralt navn.",
        "name",
    ),
    "booking_overlaps": ("Et medlem af gruppen har en samtale på det tidspunkt.", "start"),
    "closing_too_early": (
        "Et medlem har en afsluttende samtale før det nye tidspunkt. Flyt samtalen først.",
        "day",
    ),
    "slot_taken": ("Tiden er booket og kan ikke fjernes. Bookingen skal aflyses først.", None),
    "slot_unavailable": (
        "Tiden har været booket og er aflyst igen. Den bliver stående i forløbets historik.",
        None,
    ),
    "invalid_schedule": ("Tiderne giver ikke en gyldig plan.", "day"),
    "busy": ("Der er travlt lige nu, og intet blev gemt. Prøv igen om et øjeblik.", None),
}

_STATUS = {"invalid": 422, "conflict": 409, "busy": 503}


def current_actor() -> Actor:
    """Return the signed-in account as the rules' actor."""
    return actor_of(current())


def _danish(error: DomainError) -> tuple[str, str | None]:
    """Return what to tell staff about a refusal, and the field it concerns (None: the page)."""
    if error.code == "capacity_below_booked":
        booked = error.data.get("booked")
        return f"{booked} pladser er booket; der kan ikke være færre pladser.", "capacity"
    found = (
        _BY_FIELD.get((error.code, str(error.data.get("field"))))
        or _BY_TEXT.get(error.text)
        or _BY_CODE.get(error.code)
    )
    return found or ("Det kunne ikke lade sig gøre.", None)


def refused(form: FlaskForm | None, error: DomainError) -> tuple[int, str | None]:
    """Show a refusal next to its field (or return it for the page) and return the status."""
    if error.kind == "not_found":
        abort(404)
    text, field = _danish(error)
    if field == "day" and form is not None and "day" not in form:
        field = "first_day"
    status = _STATUS.get(error.kind, 409)
    if form is not None and field is not None and field in form:
        getattr(form, field).errors = [text]
        return status, None
    return status, text


def count(number: int, one: str, many: str) -> str:
    """Return a number with its noun, singular or plural: "1 tid", "3 tider"."""
    return f"{number} {one if number == 1 else many}"


def own_group(group_id: uuid.UUID) -> Group:
    """Return a group of the account's centre; another centre's is as good as missing (404)."""
    group = db.session().get(Group, group_id)
    if group is None or group.centre_id != own_centre():
        abort(404)
    return group


def pattern_times(form: GroupForm | PatternForm) -> list[tuple[datetime, datetime]]:
    """Return the UTC times of a form's weekly pattern (the rules refuse impossible ones)."""
    return list(
        weekly(
            first_day=form.first_day.data,
            weekdays=form.weekdays.weekdays(),
            start=form.start.data,
            minutes=form.minutes.data,
            weeks=form.weeks.data,
        )
    )
