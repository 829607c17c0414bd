"""The citizen's catalogue of refusals: what a citizen is told when a rule says no.

Keyed by the error class (``service.core.errors``); a refusal without a
wording of its own takes its nearest parent's. The English texts are the
message ids of the translation catalogue (scripts/translations), so a
citizen reads each in their language.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from service.core import errors

FALLBACK = _l("That could not be done. Please try again.")

MESSAGES: dict[type[errors.DomainError], str] = {
    errors.NotFound: FALLBACK,
    errors.InvalidInput: FALLBACK,
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
    # The field is emptied after a refusal (the code is never echoed back), so
    # each message asks for the code again rather than for a look at what was typed.
    errors.TokenMalformed: _l("That code has a typing error. Type the code again."),
    errors.TokenRejected: _l("We do not know that code. Type the code again."),
}


def message_for(error: errors.DomainError) -> str:
    """Return what to tell a citizen about a refusal, in their language."""
    for rule in type(error).__mro__:
        if rule in MESSAGES:
            return str(MESSAGES[rule])
    return str(FALLBACK)
