"""Booking slots and group places, the waitlist and cancelling (SPEC rules 1-4).

Every function here runs inside the caller's transaction and neither commits
nor rolls back: the HTTP edge does that once, so a rule that says no leaves
nothing half-written. The statements of the booking paths are built once, at
import, and given their values at each call (docs/performance.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Exists, bindparam, exists, func, select
from sqlalchemy.orm import Session

from service import metrics
from service.booking import events, tally
from service.booking.directory import require_contract
from service.booking.locks import lock
from service.booking.steps import BOOK, LIVE, MOVE, Step, next_steps
from service.core import errors
from service.core.clock import local_today
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
    SlotKind,
)

HOLDING = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)

Interval = tuple[datetime, datetime]


def slot_held(slot_id: ColumnElement[uuid.UUID]) -> Exists:
    """Return, as SQL, whether a booking holds the slot (SPEC rule 2)."""
    return exists().where(Booking.slot_id == slot_id, Booking.status.in_(HOLDING))


_SLOT_HELD = select(slot_held(bindparam("slot_id")))
_SLOT_KIND = select(Slot.kind).where(Slot.id == bindparam("slot_id"))
_LAST_SEQUENCE = select(func.max(Booking.sequence)).where(
    Booking.course_id == bindparam("course_id"), Booking.kind == bindparam("kind")
)
_BOOKED_SLOT_TIMES = (
    select(Slot.starts_at, Slot.ends_at)
    .join(Booking, Booking.slot_id == Slot.id)
    .where(Booking.course_id == bindparam("course_id"), Booking.status == BookingStatus.BOOKED)
)
_BOOKED_SESSION_TIMES = (
    select(GroupSession.starts_at, GroupSession.ends_at)
    .join(Booking, Booking.group_id == GroupSession.group_id)
    .where(Booking.course_id == bindparam("course_id"), Booking.status == BookingStatus.BOOKED)
)


def _require_open(course: Course) -> None:
    if course.status not in OPEN_STATUSES:
        raise errors.CourseClosed()


def _next_sequence(session: Session, course: Course, kind: BookingKind) -> int:
    """Return the calendar sequence of a new booking: above every earlier one of its kind.

    A course's talk of one kind is one calendar event (``service.http.calendar``),
    so a talk booked again after a cancelled one (a move) updates that event.
    """
    last = session.scalar(_LAST_SEQUENCE, {"course_id": course.id, "kind": kind})
    return 0 if last is None else last + 1


def _booked_intervals(session: Session, course: Course) -> list[Interval]:
    """Return the times the course already holds: its booked talks and its group's sessions."""
    slots = session.execute(_BOOKED_SLOT_TIMES, {"course_id": course.id}).all()
    sessions = session.execute(_BOOKED_SESSION_TIMES, {"course_id": course.id}).all()
    return [(start, end) for start, end in [*slots, *sessions]]


def _refuse_overlap(held: Iterable[Interval], wanted: Iterable[Interval]) -> None:
    wanted = list(wanted)
    for start, end in held:
        if any(start < other_end and other_start < end for other_start, other_end in wanted):
            raise errors.Overlap()


def refuse_unbookable(slot: Slot, *, centre_id: uuid.UUID, kind: SlotKind, now: datetime) -> None:
    """Refuse a slot of another centre or kind, or one that has begun (free or not)."""
    if slot.centre_id != centre_id or slot.kind != kind or slot.starts_at <= now:
        raise errors.SlotUnavailable(field="slot_id")


def lock_bookable_slot(
    session: Session, slot_id: uuid.UUID, *, centre_id: uuid.UUID, kind: SlotKind, now: datetime
) -> Slot:
    """Lock a slot and check that it is a free, future slot of this centre and kind."""
    try:
        slot = lock(session, Slot, slot_id)
    except errors.NotFound:
        raise errors.SlotUnavailable("No such time can be booked.", field="slot_id") from None
    refuse_unbookable(slot, centre_id=centre_id, kind=kind, now=now)
    # Asked after the lock, in a statement of its own: under READ COMMITTED it
    # sees a booking that a transaction which held the lock before us committed.
    if session.scalar(_SLOT_HELD, {"slot_id": slot.id}):
        raise errors.SlotTaken(field="slot_id")
    return slot


@metrics.counts_booking(None)
def book_slot(
    session: Session,
    course_id: uuid.UUID,
    slot_id: uuid.UUID,
    *,
    now: datetime,
    kind: SlotKind | None = None,
) -> Booking:
    """Book an intro or closing talk for a course; the course is locked here, as join_group does.

    The course's live group (if any) is locked before the course, in the
    rules' lock order, so that the overlap check sees every live booking.
    A ``kind`` given refuses a slot of the other kind.
    """
    course = lock_course_and_group(session, course_id)
    _require_open(course)
    found = session.scalar(_SLOT_KIND, {"slot_id": slot_id})
    if found is None or (kind is not None and found is not kind):
        raise errors.SlotUnavailable("No such time can be booked.", field="slot_id")
    kind = found
    steps = next_steps(session, course, now=now)
    steps.require(BOOK[BookingKind(kind.value)])
    slot = lock_bookable_slot(session, slot_id, centre_id=course.centre_id, kind=kind, now=now)
    if kind is SlotKind.INTRO:
        _check_contract(session, course, slot, now=now)
    elif steps.closing_from is not None and slot.starts_at < steps.closing_from:
        raise errors.ClosingTooEarly(earliest=steps.closing_from.isoformat())
    _refuse_overlap(_booked_intervals(session, course), [(slot.starts_at, slot.ends_at)])
    booking = Booking(
        course=course,
        kind=BookingKind(kind.value),
        slot_id=slot.id,
        slot=slot,
        status=BookingStatus.BOOKED,
        created_at=now,
        sequence=_next_sequence(session, course, BookingKind(kind.value)),
    )
    session.add(booking)
    session.flush()
    return booking


def book_talk(
    session: Session, course_id: uuid.UUID, slot_id: uuid.UUID, kind: SlotKind, *, now: datetime
) -> tuple[Booking, Booking | None]:
    """Book an intro or closing talk, moving the live one of that kind in the same transaction.

    Return the new booking and the one it replaced (None for a first booking).
    The old talk is cancelled first, by the rule a cancellation follows, so its
    slot is free for others once the transaction commits; a refusal of the new
    time rolls both back.
    """
    course = lock_course_and_group(session, course_id)
    steps = next_steps(session, course, now=now)
    moved = steps.live.get(BookingKind(kind.value))
    steps.require(MOVE[moved.kind] if moved is not None else BOOK[BookingKind(kind.value)])
    if moved is not None:
        release(session, moved, now=now)
    return book_slot(session, course.id, slot_id, now=now, kind=kind), moved


def _check_contract(session: Session, course: Course, slot: Slot, *, now: datetime) -> None:
    require_contract(
        session,
        course.home_municipality,
        course.centre_id,
        booked_on=local_today(now),
        held_on=local_today(slot.starts_at),
    )


@dataclass(frozen=True)
class GroupProgress:
    """How far a group has come at an instant."""

    started: int
    remaining: Sequence[GroupSession]

    def joinable(self, late_join_until: int) -> bool:
        """Tell whether a newcomer may still join (SPEC rule 3, late joining)."""
        return bool(self.remaining) and self.started < late_join_until


def progress(group: Group, *, now: datetime) -> GroupProgress:
    """Return how many sessions have started and which are still to come."""
    remaining = [s for s in group.sessions if s.starts_at > now]
    return GroupProgress(started=len(group.sessions) - len(remaining), remaining=remaining)


def _count_booked(session: Session, group_id: uuid.UUID) -> int:
    query = select(func.count(Booking.id)).where(
        Booking.group_id == group_id, Booking.status == BookingStatus.BOOKED
    )
    return session.scalar(query) or 0


def _place(
    session: Session, booking: Booking, course: Course, group: Group, *, now: datetime
) -> None:
    booking.status = BookingStatus.BOOKED
    booking.queue_no = None
    booking.placed_at = now
    course.status = CourseStatus.ACTIVE
    first = progress(group, now=now).remaining
    if course.started_at is None and first:
        course.started_at = first[0].starts_at
        tally.count(session, course, "started", at=now)
        if course.decided_at is not None:
            tally.wait(
                session,
                course,
                "approval_to_group",
                course.decided_at,
                course.started_at,
                at=now,
            )


@metrics.counts_booking("group")
def join_group(
    session: Session, course_id: uuid.UUID, group_id: uuid.UUID, *, now: datetime
) -> Booking:
    """Give the course a place in the group, or a place in its FIFO waitlist when it is full.

    The group is locked first and its booked places recounted under the lock;
    the CHECK on ``groups.places_taken`` is the backstop (SPEC rule 1).
    """
    try:
        group = lock(session, Group, group_id)
    except errors.NotFound:
        raise errors.GroupUnavailable(field="group_id") from None
    course = lock(session, Course, course_id)
    _require_open(course)
    if group.centre_id != course.centre_id:
        raise errors.GroupUnavailable(field="group_id")
    next_steps(session, course, now=now).require(Step.JOIN_GROUP)
    if not group.intake_open:
        raise errors.IntakeClosed()
    state = progress(group, now=now)
    if not state.joinable(group.late_join_until):
        raise errors.JoiningClosed()
    intervals = [(s.starts_at, s.ends_at) for s in state.remaining]
    _refuse_overlap(_booked_intervals(session, course), intervals)

    booked = _count_booked(session, group.id)
    booking = Booking(
        course=course,
        kind=BookingKind.GROUP,
        group_id=group.id,
        created_at=now,
        sequence=_next_sequence(session, course, BookingKind.GROUP),
    )
    session.add(booking)
    if booked < group.capacity:
        _place(session, booking, course, group, now=now)
        group.places_taken = booked + 1
    else:
        group.waitlist_counter += 1
        booking.status = BookingStatus.WAITLISTED
        booking.queue_no = group.waitlist_counter
        group.places_taken = booked
    session.flush()
    return booking


def promote(session: Session, group: Group, *, now: datetime) -> list[Booking]:
    """Fill free places from the head of the waitlist; the caller holds the group's lock.

    This runs in the transaction that freed the place (SPEC rule 4): the
    promoted citizen sees the place the next time they look.
    """
    booked = _count_booked(session, group.id)
    free = group.capacity - booked
    promoted: list[Booking] = []
    if free > 0 and progress(group, now=now).joinable(group.late_join_until):
        waiting = session.scalars(
            select(Booking)
            .where(Booking.group_id == group.id, Booking.status == BookingStatus.WAITLISTED)
            .order_by(Booking.queue_no)
            .limit(free)
        ).all()
        for booking in waiting:
            _place(session, booking, booking.course, group, now=now)
            booking.place_news = True
            events.emit(session, "group.place_granted", booking.course, now=now, group=group.id)
            promoted.append(booking)
    group.places_taken = booked + len(promoted)
    metrics.promoted(len(promoted))
    session.flush()
    return promoted


def take_place_news(session: Session, course: Course) -> list[Group]:
    """Return the groups whose places came from the waitlist since last told; forget the news."""
    news = session.scalars(
        select(Booking).where(Booking.course_id == course.id, Booking.place_news.is_(True))
    ).all()
    for booking in news:
        booking.place_news = False
    session.flush()
    return [session.get_one(Group, booking.group_id) for booking in news if booking.group_id]


def release(session: Session, booking: Booking, *, now: datetime) -> None:
    """Cancel a live booking; a freed group place goes to the first waiting citizen."""
    was_booked = booking.status is BookingStatus.BOOKED
    booking.status = BookingStatus.CANCELLED
    booking.queue_no = None
    booking.cancelled_at = now
    # A calendar takes the cancellation only with a higher SEQUENCE.
    booking.sequence += 1
    session.flush()
    if booking.kind is BookingKind.GROUP and was_booked and booking.group_id is not None:
        promote(session, lock(session, Group, booking.group_id), now=now)


def lock_course_and_group(
    session: Session, course_id: uuid.UUID, *, group_booking: Booking | None = None
) -> Course:
    """Lock the course's live group (if any) and then the course, in the rules' lock order."""
    if group_booking is None:
        group_booking = session.scalar(
            select(Booking).where(
                Booking.course_id == course_id,
                Booking.kind == BookingKind.GROUP,
                Booking.status.in_(LIVE),
            )
        )
    if group_booking is not None and group_booking.group_id is not None:
        lock(session, Group, group_booking.group_id)
    return lock(session, Course, course_id)


def cancel(session: Session, course_id: uuid.UUID, booking_id: uuid.UUID, *, now: datetime) -> None:
    """Cancel one of the course's own future bookings or leave its group."""
    booking = session.get(Booking, booking_id)
    if booking is None or booking.course_id != course_id:
        raise errors.NotFound("The course has no such booking.")
    course = lock_course_and_group(
        session, course_id, group_booking=booking if booking.kind is BookingKind.GROUP else None
    )
    next_steps(session, course, now=now).require_cancel(booking)
    release(session, booking, now=now)


def release_all(session: Session, course: Course, *, now: datetime) -> None:
    """Cancel every future booking of an ending course and free its group place."""
    for booking in list(course.bookings):
        if booking.status not in LIVE or _is_over(session, booking, now=now):
            continue
        release(session, booking, now=now)


def _is_over(session: Session, booking: Booking, *, now: datetime) -> bool:
    """Tell whether a booking's time has come: past talks and finished groups stay as history."""
    if booking.slot_id is not None:
        slot = session.get(Slot, booking.slot_id)
        return slot is not None and slot.starts_at <= now
    group = session.get(Group, booking.group_id)
    return (
        booking.status is BookingStatus.BOOKED
        and group is not None
        and not progress(group, now=now).remaining
    )


def waitlist_position(session: Session, booking: Booking) -> int | None:
    """Return the 1-based place in the group's waitlist, or None when not waiting."""
    if booking.status is not BookingStatus.WAITLISTED or booking.queue_no is None:
        return None
    ahead = session.scalar(
        select(func.count(Booking.id)).where(
            Booking.group_id == booking.group_id,
            Booking.status == BookingStatus.WAITLISTED,
            Booking.queue_no < booking.queue_no,
        )
    )
    return (ahead or 0) + 1
