"""What every citizen page module shares: languages, times in Copenhagen, domain messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import format_datetime, format_time
from flask_babel import lazy_gettext as _l

from service.core import errors

LANGUAGES = ("da", "en")
LANGUAGE_COOKIE = "__Host-lang"

# What a citizen is told when a rule says no, by the rule.
MESSAGES: dict[type[errors.DomainError], str] = {
    errors.SlotTaken: _l("Someone else has just booked that time. Please choose another."),
    errors.SlotUnavailable: _l("That time can no longer be booked. Please choose another."),
    errors.NotContracted: _l(
        "Your municipality does not work with that place. Please choose again."
    ),
    errors.AlreadyBooked: _l("You already have a booking of that kind."),
    errors.Overlap: _l("That time overlaps another of your bookings."),
    errors.CourseClosed: _l("This course has ended, so nothing more can be booked."),
    errors.NotApproved: _l("You can join a group once the centre has approved your course."),
    errors.IntakeClosed: _l("That group does not take new members now."),
    errors.JoiningClosed: _l("That group has come too far to join. Please choose another."),
    errors.ClosingTooEarly: _l("The closing talk can be booked towards the end of your group."),
    errors.ClosingNeedsGroup: _l("The closing talk comes after a group course."),
    errors.NotCancellable: _l("That booking can no longer be cancelled."),
    errors.WrongStatus: _l("That cannot be done at this stage of your course."),
    errors.GroupUnavailable: _l("That group cannot be joined."),
    errors.Busy: _l("Many people are booking right now. Please try again in a moment."),
    errors.TokenMalformed: _l(
        "That code has a typing error. Check each character; the last one is a check character."
    ),
    errors.TokenRejected: _l("We do not know that code. Check it and try again."),
}
FALLBACK = _l("That could not be done. Please try again.")


def message_for(error: errors.DomainError) -> str:
    """Return what to tell a citizen about a refusal, in their language."""
    for rule in type(error).__mro__:
        if rule in MESSAGES:
            return str(MESSAGES[rule])
    return str(FALLBACK)


def when(instant: datetime) -> str:
    """Return a date and time as a citizen reads it, in Copenhagen time."""
    return f"{format_datetime(instant, 'EEEE d. MMMM y')}, {format_time(instant, 'HH:mm')}"


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a page with a status; a refusal must not be 200, so its transaction rolls back."""
    return render_template(template, when=when, status=status, **context), status
