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
from service.booking import reach
from service.booking.holidays import Skipped, without_holidays
from service.core import errors
from service.core.clock import weekly
from service.core.errors import DomainError
from service.identity.accounts import actor_of
from service.identity.actors import Actor
from service.models import Group
from service.staff import refusals
from service.staff.auth import current
from service.staff.pages import day_name
from service.staff.schedule_forms import GroupForm, PatternForm

Answer = tuple[str, int]

# Where a planning form shows each refusal (None: above the form); the wording
# is the staff catalogue's (service.staff.refusals).
_PLACES: dict[type[DomainError], str | None] = {
    errors.InvalidSchedule: "day",
    errors.NoTimes: "weekdays",
    errors.PatternIncomplete: "weekdays",
    errors.TimeTooLong: "minutes",
    errors.NoSuchLocalTime: "start",
    errors.SessionsOverlap: "start",
    errors.SessionBegun: None,
    errors.MeetingOnHoliday: "day",
    errors.CapacityInvalid: "capacity",
    errors.CapacityTooLow: "capacity",
    errors.NotAMember: "present",
    errors.PersonalDataRefused: "name",
    errors.Overlap: "start",
    errors.ClosingTooEarly: "day",
}

_STATUS = {"invalid": 422, "conflict": 409, "busy": 503}


def current_actor() -> Actor:
    """Return the signed-in account as the rules' actor."""
    return actor_of(current())


def _place(error: DomainError) -> str | None:
    """Return the form field a refusal belongs next to, or None for the page."""
    rule = next((each for each in type(error).__mro__ if each in _PLACES), None)
    return None if rule is None else _PLACES[rule]


def refused(form: FlaskForm | None, error: DomainError) -> tuple[int, str | None]:
    """Show a refusal next to its field (or return it for the page) and return the status."""
    if error.kind == "not_found":
        abort(404)
    text, field = refusals.wording(error), _place(error)
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
    try:
        return reach.own(db.session(), current_actor(), Group, group_id)
    except errors.NotFound:
        abort(404)


def pattern_times(
    form: GroupForm | PatternForm,
) -> tuple[list[tuple[datetime, datetime]], list[Skipped]]:
    """Return the UTC times of a form's weekly pattern and those skipped for a holiday.

    Holidays are skipped unless the form's "include holidays" box is ticked;
    the rules refuse impossible times.
    """
    times = list(
        weekly(
            first_day=form.first_day.data,
            weekdays=form.weekdays.weekdays(),
            start=form.start.data,
            minutes=form.minutes.data,
            weeks=form.weeks.data,
        )
    )
    if form.include_holidays.data:
        return times, []
    return without_holidays(times)


def skipped_note(skipped: list[Skipped]) -> str:
    """Return the sentence that names the dates a pattern skipped and why, or ""."""
    if not skipped:
        return ""
    days = ", ".join(f"{day_name(each.starts_at)} ({each.name.lower()})" for each in skipped)
    return f" Sprunget over, fordi stedet holder lukket på helligdage: {days}."
