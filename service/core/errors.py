"""Domain errors: each carries a machine-readable code and the data a client needs.

The rules raise these and know nothing of HTTP; ``service.http.errors`` turns
them into the one JSON error envelope, choosing the status from ``kind``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

Kind = Literal["invalid", "unauthorized", "forbidden", "not_found", "conflict", "busy"]


class DomainError(Exception):
    """A rule said no; ``code`` names the rule, ``message`` explains it to a person."""

    code: ClassVar[str] = "domain_error"
    kind: ClassVar[Kind] = "conflict"
    message: ClassVar[str] = "The request breaks a rule of the service."

    def __init__(self, message: str | None = None, **data: Any) -> None:
        super().__init__(message or self.message)
        self.text = message or self.message
        self.data = data


class NotFound(DomainError):
    """The object does not exist, or lies outside the caller's reach (the two look the same)."""

    code = "not_found"
    kind = "not_found"
    message = "Not found."


class InvalidInput(DomainError):
    """A value is well-formed but not acceptable; ``field`` names it."""

    code = "invalid_input"
    kind = "invalid"
    message = "A value is not acceptable."


class ReferenceMalformed(InvalidInput):
    """A course reference, read out on the phone, is not eight symbols of its alphabet."""

    message = "A course reference is 8 letters and digits, e.g. K7QM-4XPZ."


class PersonalDataRefused(InvalidInput):
    """Free text held a CPR number, an e-mail, a phone number or an IP address (SPEC P1)."""

    code = "personal_data_refused"
    message = (
        "The text looks like it holds a CPR number, an e-mail address, a phone number or an "
        "IP address. Diskret stores no personal data: write it without."
    )


class InvalidSchedule(InvalidInput):
    """A planned time or pattern makes no sense (ends before it starts, does not exist locally)."""

    code = "invalid_schedule"
    message = "The times given do not make a valid schedule."


class Busy(DomainError):
    """The database was too busy to take the lock in time; nothing was written, retry."""

    code = "busy"
    kind = "busy"
    message = "Many requests arrived at once and nothing was saved. Please try again."


class NotContracted(DomainError):
    """SPEC rule 5: the home municipality does not contract this provider on that date."""

    code = "provider_not_contracted"
    message = "Your home municipality does not offer treatment at this centre on that date."


class SlotTaken(DomainError):
    """SPEC rule 2: the slot is already booked."""

    code = "slot_taken"
    message = "That time has just been booked by someone else. Please choose another."


class SlotUnavailable(DomainError):
    """The slot is in the past, at another centre or of the wrong kind."""

    code = "slot_unavailable"
    message = "That time cannot be booked."


class Overlap(DomainError):
    """SPEC rule 2: the course already holds a booking at that time."""

    code = "booking_overlaps"
    message = "You already have an appointment at that time."


class CourseClosed(DomainError):
    """The course has ended; nothing more can be booked on it."""

    code = "course_closed"
    message = "This course has ended."


class AlreadyBooked(DomainError):
    """The course already holds a live booking of that kind."""

    code = "already_booked"
    message = "You already have a booking of that kind. Cancel it first to choose another."


class NotApproved(DomainError):
    """SPEC rule 3: joining a group needs the decision ``approved``."""

    code = "not_approved"
    message = "A group can be joined once the centre has approved the course after the intro talk."


class IntakeClosed(DomainError):
    """The group takes no new members."""

    code = "intake_closed"
    message = "The group is not taking new members."


class JoiningClosed(DomainError):
    """SPEC rule 3: the group is past the last session at which one may still join."""

    code = "joining_closed"
    message = "The group has come too far to join. Please choose another group."


class ClosingTooEarly(DomainError):
    """SPEC rule 3: the closing talk comes after the group's last session or after leaving it."""

    code = "closing_too_early"
    message = "The closing talk must come after your last group session."


class ClosingNeedsGroup(DomainError):
    """A closing talk closes a group course; there is none yet."""

    code = "closing_needs_group"
    message = "A closing talk can be booked once you have had a place in a group."


class NotCancellable(DomainError):
    """The booking is over, already cancelled, or has begun."""

    code = "not_cancellable"
    message = "This booking can no longer be cancelled."


class WrongStatus(DomainError):
    """The course is not in a status that allows this step."""

    code = "wrong_status"
    message = "The course is not at a stage where this can be done."


class IntroNotHeld(DomainError):
    """A decision comes after the intro talk, which has not taken place."""

    code = "intro_not_held"
    message = "A decision can be recorded once the intro talk has taken place."


class TalkNotBegun(DomainError):
    """A no-show is recorded once the talk's time has begun."""

    code = "talk_not_begun"
    message = "A no-show can be recorded once the talk's time has begun."


class NoShowNotRecorded(DomainError):
    """A course closes as never came only after a recorded no-show at its intro talk."""

    code = "no_show_not_recorded"
    message = (
        "A course can be closed as never came once its intro talk is recorded as a no-show"
        " and no other intro talk is booked."
    )


class CapacityTooLow(DomainError):
    """Capacity cannot go below the places already booked."""

    code = "capacity_below_booked"
    message = "The capacity cannot be lower than the number of places already booked."


class GroupUnavailable(DomainError):
    """The group belongs to another centre or has no sessions left."""

    code = "group_unavailable"
    message = "That group cannot be joined."


class TokenMalformed(DomainError):
    """The code has a typo: its check character does not match (caught before any lookup)."""

    code = "token_malformed"
    kind = "unauthorized"
    message = "The code has a typo. Check each character and try again."


class TokenRejected(DomainError):
    """The code is unknown, replaced or erased: the three look exactly the same (SPEC P4)."""

    code = "token_rejected"
    kind = "unauthorized"
    message = "The code was not accepted."


# Refusals of planning. Each is a subclass of a refusal above with the same
# code, so the API answers exactly as before; the class tells the pages which
# of several refusals of one code it is.


class GroupNameRefused(PersonalDataRefused):
    """A group's name, which citizens see, holds what looks like personal data."""


class NoTimes(InvalidSchedule):
    """A plan gives no time at all."""

    message = "Give at least one time."


class TimeTooLong(InvalidSchedule):
    """A time ends before it starts, or lasts longer than a working day."""

    message = "Each time must end after it starts, within 8 hours."


class TimeInPast(InvalidSchedule):
    """A planned time has already begun."""

    message = "Times must lie in the future."


class NoSuchLocalTime(InvalidSchedule):
    """The wall-clock time does not exist that day in Copenhagen (the spring clock change)."""

    message = "The time does not exist on that day in Copenhagen (clock change)."


class PatternIncomplete(InvalidSchedule):
    """A weekly pattern lacks weekdays, a length or a number of weeks."""

    message = "A weekly pattern needs weekdays, a length and a number of weeks."


class SessionsOverlap(InvalidSchedule):
    """Two sessions of one group would overlap."""

    message = "Two sessions of the group overlap."


class SessionBegun(InvalidSchedule):
    """A group session that has begun stays where it is."""

    message = "A session that has begun cannot be moved."


class MeetingOnHoliday(InvalidSchedule):
    """A session would move onto a day centres close on; it moves there only when confirmed."""

    message = "The new date is a public holiday; confirm to move the session there anyway."


class CapacityInvalid(InvalidInput):
    """A group needs at least one place."""

    message = "Capacity must be at least 1."


class AttendanceTooEarly(InvalidInput):
    """Attendance is recorded once the session has begun."""

    message = "Attendance is recorded once the session has begun."


class NotAMember(InvalidInput):
    """Attendance names a course without a place in the group."""

    message = "Not a member of this group."


class SlotHeld(SlotTaken):
    """A booked slot cannot be removed; the booking must be cancelled first."""

    message = "The time is booked and cannot be removed."


class SlotInHistory(SlotUnavailable):
    """A slot that was booked and cancelled stays, as part of that course's history."""

    message = "The time was booked and cancelled; it stays in that course's history."


class MemberHasTalk(Overlap):
    """A new group session would overlap a member's talk."""

    message = "A member of the group has a talk at that time."


class MemberClosingFirst(ClosingTooEarly):
    """A new group session would come after a member's closing talk."""

    message = "A member's closing talk would come before the group's last session."
