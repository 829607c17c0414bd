"""The steps a course may take next, and why each other step is refused.

One function, ``next_steps``, reads a course and its bookings and answers,
for every step a citizen can take (book, move or cancel a talk, join or
leave a group or its waitlist), either "allowed" or the refusal that the
rules raise. The booking rules (``service.booking.reservations``) raise
that very refusal, and the citizen's page offers exactly the allowed
steps, so a page can never offer what a rule would then refuse.

The caller holds the course's lock when it acts on the answer; the page
only reads it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core import errors
from service.models import (
    OPEN_STATUSES,
    Booking,
    BookingKind,
    BookingStatus,
    Course,
    CourseStatus,
    Group,
    GroupSession,
    Slot,
)

LIVE = (BookingStatus.BOOKED, BookingStatus.WAITLISTED)


class Step(enum.StrEnum):
    """A step a citizen can take on their own course."""

    BOOK_INTRO = "book_intro"
    MOVE_INTRO = "move_intro"
    CANCEL_INTRO = "cancel_intro"
    JOIN_GROUP = "join_group"
    LEAVE_GROUP = "leave_group"
    LEAVE_WAITLIST = "leave_waitlist"
    BOOK_CLOSING = "book_closing"
    MOVE_CLOSING = "move_closing"
    CANCEL_CLOSING = "cancel_closing"


BOOK = {BookingKind.INTRO: Step.BOOK_INTRO, BookingKind.CLOSING: Step.BOOK_CLOSING}
MOVE = {BookingKind.INTRO: Step.MOVE_INTRO, BookingKind.CLOSING: Step.MOVE_CLOSING}


@dataclass(frozen=True)
class NextSteps:
    """What a course may do now: every step not refused is allowed."""

    refusals: Mapping[Step, errors.DomainError]
    live: Mapping[BookingKind, Booking]
    # The earliest time a closing talk may start, once the course has had a group place.
    closing_from: datetime | None

    @property
    def allowed(self) -> frozenset[Step]:
        """Return the steps the rules allow now."""
        return frozenset(step for step in Step if step not in self.refusals)

    def allows(self, step: Step) -> bool:
        """Tell whether the rules allow the step now."""
        return step not in self.refusals

    def require(self, step: Step) -> None:
        """Raise the refusal of a step that is not allowed."""
        refusal = self.refusals.get(step)
        if refusal is not None:
            raise refusal

    def cancel_step(self, booking: Booking) -> Step:
        """Return the step that cancels this booking (leaving, for a group place)."""
        if booking.kind is BookingKind.GROUP:
            waiting = booking.status is BookingStatus.WAITLISTED
            return Step.LEAVE_WAITLIST if waiting else Step.LEAVE_GROUP
        return Step.CANCEL_INTRO if booking.kind is BookingKind.INTRO else Step.CANCEL_CLOSING

    def require_cancel(self, booking: Booking) -> None:
        """Refuse to cancel a booking that is not the course's live one, or one past its time."""
        live = self.live.get(booking.kind)
        if live is None or live.id != booking.id:
            raise errors.NotCancellable()
        self.require(self.cancel_step(booking))


def _bookings(session: Session, course: Course) -> list[Booking]:
    # Read afresh: under READ COMMITTED a booking loaded before the course's
    # lock was taken may have changed since.
    query = (
        select(Booking)
        .where(Booking.course_id == course.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def _closing_from(session: Session, bookings: list[Booking]) -> datetime | None:
    """Return when a closing talk may start: after the group's last meeting, or after leaving it."""
    group = next(
        (b for b in bookings if b.kind is BookingKind.GROUP and b.status is BookingStatus.BOOKED),
        None,
    )
    if group is not None:
        last: datetime | None = session.scalar(
            select(func.max(GroupSession.ends_at)).where(GroupSession.group_id == group.group_id)
        )
        return last
    left = [
        b.cancelled_at
        for b in bookings
        if b.kind is BookingKind.GROUP and b.placed_at is not None and b.cancelled_at is not None
    ]
    return max(left, default=None)


def _begun(session: Session, booking: Booking, *, now: datetime) -> bool:
    """Tell whether a talk's time has begun, or a group's last meeting has."""
    if booking.slot_id is not None:
        slot = session.get(Slot, booking.slot_id)
        return slot is None or slot.starts_at <= now
    group = session.get(Group, booking.group_id)
    return group is None or all(s.starts_at <= now for s in group.sessions)


def _cancel_refusals(
    session: Session, course: Course, live: Mapping[BookingKind, Booking], *, now: datetime
) -> dict[Step, errors.DomainError]:
    refused: dict[Step, errors.DomainError] = {}
    closed = course.status not in OPEN_STATUSES
    for kind in BookingKind:
        booking = live.get(kind)
        steps = [MOVE[kind]] if kind in MOVE else []
        if kind is BookingKind.GROUP:
            steps += [Step.LEAVE_GROUP, Step.LEAVE_WAITLIST]
        else:
            steps.append(Step.CANCEL_INTRO if kind is BookingKind.INTRO else Step.CANCEL_CLOSING)
        for step in steps:
            if booking is None or _begun(session, booking, now=now):
                refused[step] = errors.NotCancellable()
            elif closed:
                refused[step] = errors.CourseClosed()
        if booking is not None and kind is BookingKind.GROUP:
            waiting = booking.status is BookingStatus.WAITLISTED
            refused[Step.LEAVE_GROUP if waiting else Step.LEAVE_WAITLIST] = errors.NotCancellable()
    return refused


def _booking_refusals(
    course: Course, live: Mapping[BookingKind, Booking], closing_from: datetime | None
) -> dict[Step, errors.DomainError]:
    refused: dict[Step, errors.DomainError] = {}
    if course.status not in OPEN_STATUSES:
        return {step: errors.CourseClosed() for step in (*BOOK.values(), Step.JOIN_GROUP)}
    if course.status is not CourseStatus.REQUESTED:
        refused[Step.BOOK_INTRO] = errors.WrongStatus("The intro talk has already taken place.")
    elif BookingKind.INTRO in live:
        refused[Step.BOOK_INTRO] = errors.AlreadyBooked()
    if course.status is CourseStatus.REQUESTED:
        refused[Step.JOIN_GROUP] = errors.NotApproved()
    elif BookingKind.GROUP in live:
        refused[Step.JOIN_GROUP] = errors.AlreadyBooked()
    if course.status is not CourseStatus.ACTIVE or closing_from is None:
        refused[Step.BOOK_CLOSING] = errors.ClosingNeedsGroup()
    elif BookingKind.CLOSING in live:
        refused[Step.BOOK_CLOSING] = errors.AlreadyBooked()
    return refused


def next_steps(session: Session, course: Course, *, now: datetime) -> NextSteps:
    """Return what the course may do now, and the refusal of everything else."""
    bookings = _bookings(session, course)
    live = {b.kind: b for b in bookings if b.status in LIVE}
    closing_from = _closing_from(session, bookings)
    refused = _cancel_refusals(session, course, live, now=now)
    refused |= _booking_refusals(course, live, closing_from)
    return NextSteps(refusals=refused, live=live, closing_from=closing_from)
