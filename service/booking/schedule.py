"""What staff plan: slots, groups and their sessions, capacity and intake.

Attendance at the sessions is ``service.booking.attendance``'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from service.booking.holidays import holiday_at
from service.booking.locks import lock
from service.booking.reservations import HOLDING, promote
from service.core import errors
from service.core.text import refuse_personal_data
from service.identity import audit
from service.identity.actors import Actor
from service.models import (
    Booking,
    BookingStatus,
    Course,
    Group,
    GroupSession,
    Slot,
    SlotKind,
)

# The longest an individual talk or a group session may last.
LONGEST = timedelta(hours=8)

Interval = tuple[datetime, datetime]


def _check_intervals(intervals: Sequence[Interval], *, now: datetime) -> None:
    if not intervals:
        raise errors.NoTimes()
    for start, end in intervals:
        if end <= start or end - start > LONGEST:
            raise errors.TimeTooLong()
        if start <= now:
            raise errors.TimeInPast()


def add_slots(
    session: Session,
    actor: Actor,
    centre_id: uuid.UUID,
    kind: SlotKind,
    intervals: Sequence[Interval],
    *,
    now: datetime,
) -> list[Slot]:
    """Add individual slots, skipping any start time the centre already has for that kind."""
    actor.require_centre(centre_id)
    _check_intervals(intervals, now=now)
    existing = set(
        session.scalars(
            select(Slot.starts_at).where(
                Slot.centre_id == centre_id,
                Slot.kind == kind,
                Slot.starts_at.in_([start for start, _ in intervals]),
            )
        )
    )
    created = []
    for start, end in sorted(set(intervals)):
        if start in existing:
            continue
        slot = Slot(centre_id=centre_id, kind=kind, starts_at=start, ends_at=end, created_at=now)
        session.add(slot)
        created.append(slot)
    session.flush()
    audit.record(
        session,
        actor,
        f"slots.added:{len(created)}",
        object_type="centre",
        object_id=centre_id,
        centre_id=centre_id,
        now=now,
    )
    return created


def add_group(
    session: Session,
    actor: Actor,
    centre_id: uuid.UUID,
    *,
    name: str,
    capacity: int,
    intake_open: bool,
    late_join_until: int,
    sessions: Sequence[Interval],
    now: datetime,
) -> Group:
    """Create a group course with its sessions, numbered in time order."""
    actor.require_centre(centre_id)
    _check_intervals(sessions, now=now)
    ordered = sorted(set(sessions))
    for (_, end), (start, _) in pairwise(ordered):
        if start < end:
            raise errors.SessionsOverlap()
    if capacity < 1:
        raise errors.CapacityInvalid(field="capacity")
    group = Group(
        centre_id=centre_id,
        name=refuse_personal_data(name.strip(), field="name", refusal=errors.GroupNameRefused),
        capacity=capacity,
        intake_open=intake_open,
        late_join_until=late_join_until,
        created_at=now,
        sessions=[
            GroupSession(number=number, starts_at=start, ends_at=end)
            for number, (start, end) in enumerate(ordered, start=1)
        ],
    )
    session.add(group)
    session.flush()
    audit.record(
        session,
        actor,
        "group.created",
        object_type="group",
        object_id=group.id,
        centre_id=centre_id,
        now=now,
    )
    return group


def update_group(
    session: Session,
    actor: Actor,
    group_id: uuid.UUID,
    *,
    capacity: int | None,
    intake_open: bool | None,
    now: datetime,
) -> Group:
    """Change a group's capacity or intake; raising the capacity promotes from the waitlist."""
    group = lock(session, Group, group_id)
    actor.require_centre(group.centre_id)
    if capacity is not None:
        if capacity < 1:
            raise errors.CapacityInvalid(field="capacity")
        if capacity < group.places_taken:
            raise errors.CapacityTooLow(booked=group.places_taken)
        group.capacity = capacity
    if intake_open is not None:
        group.intake_open = intake_open
    promote(session, group, now=now)
    audit.record(
        session,
        actor,
        "group.updated",
        object_type="group",
        object_id=group.id,
        centre_id=group.centre_id,
        now=now,
    )
    return group


def remove_slot(session: Session, actor: Actor, slot_id: uuid.UUID, *, now: datetime) -> None:
    """Remove a slot that no course holds or ever held.

    A booked time stays (cancel the booking first); so does a time that was
    booked and cancelled, because that booking is part of a course's history.
    """
    slot = lock(session, Slot, slot_id)
    actor.require_centre(slot.centre_id)
    statuses = session.scalars(select(Booking.status).where(Booking.slot_id == slot.id)).all()
    if any(status in HOLDING for status in statuses):
        raise errors.SlotHeld(field="slot_id")
    if statuses:
        raise errors.SlotInHistory(field="slot_id")
    centre_id = slot.centre_id
    session.delete(slot)
    session.flush()
    audit.record(
        session,
        actor,
        "slot.removed",
        object_type="slot",
        object_id=slot_id,
        centre_id=centre_id,
        now=now,
    )


def _refuse_member_clashes(
    session: Session, group: Group, others: Sequence[GroupSession], moved: Interval
) -> None:
    """Refuse a session time that breaks a member's booked talks (SPEC rules 2 and 3)."""
    start, end = moved
    member = aliased(Booking)
    talks = session.execute(
        select(Slot.kind, Slot.starts_at, Slot.ends_at)
        .join(Booking, Booking.slot_id == Slot.id)
        .join(member, member.course_id == Booking.course_id)
        .where(
            member.group_id == group.id,
            member.status == BookingStatus.BOOKED,
            Booking.status == BookingStatus.BOOKED,
        )
    ).all()
    last_end = max([end, *(other.ends_at for other in others)])
    for kind, talk_start, talk_end in talks:
        if talk_start < end and start < talk_end:
            raise errors.MemberHasTalk()
        if kind is SlotKind.CLOSING and talk_start < last_end:
            raise errors.MemberClosingFirst()


def _renumber(session: Session, group: Group) -> None:
    """Number the group's sessions in time order again."""
    ordered = sorted(group.sessions, key=lambda each: each.starts_at)
    if [each.number for each in ordered] == list(range(1, len(ordered) + 1)):
        return
    # (group_id, number) is unique and checked row by row: every number first
    # steps above the highest in use, so no update meets a number still held.
    highest = max(each.number for each in ordered)
    for each in ordered:
        each.number += highest
    session.flush()
    for number, each in enumerate(ordered, start=1):
        each.number = number
    session.flush()
    session.expire(group, ["sessions"])


def move_session(
    session: Session,
    actor: Actor,
    group_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    onto_holiday: bool = False,
) -> GroupSession:
    """Move one session that has not begun to another future time, e.g. away from a holiday.

    The group is locked, as for every change of its places. The sessions are
    numbered in time order again afterwards, so a session moved past others
    takes its place among them; the new time may not overlap another session
    of the group or a member's booked talk, nor end after a member's booked
    closing talk begins. A new date that centres close on
    (``service.booking.holidays``) is refused unless ``onto_holiday`` confirms it.
    Members' calendars and the waitlist read the sessions as they are, so
    they follow the move; no place changes hands.
    """
    group = lock(session, Group, group_id)
    actor.require_centre(group.centre_id)
    meeting = next((each for each in group.sessions if each.id == session_id), None)
    if meeting is None:
        raise errors.NotFound("The group has no such session.")
    if meeting.starts_at <= now:
        raise errors.SessionBegun()
    _check_intervals([(starts_at, ends_at)], now=now)
    holiday = holiday_at(starts_at)
    if holiday is not None and not onto_holiday:
        raise errors.MeetingOnHoliday(holiday=holiday, field="day")
    others = [each for each in group.sessions if each.id != session_id]
    if any(other.starts_at < ends_at and starts_at < other.ends_at for other in others):
        raise errors.SessionsOverlap()
    _refuse_member_clashes(session, group, others, (starts_at, ends_at))
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    session.flush()
    _renumber(session, group)
    audit.record(
        session,
        actor,
        "group_session.moved",
        object_type="group_session",
        object_id=meeting.id,
        centre_id=group.centre_id,
        now=now,
    )
    return meeting


@dataclass(frozen=True)
class PlannedSlot:
    """A slot as staff plan it: who holds it, by course reference, if anyone does."""

    slot: Slot
    reference: str | None
    course_id: uuid.UUID | None


def centre_slots(
    session: Session, actor: Actor, centre_id: uuid.UUID, *, since: datetime, until: datetime
) -> list[PlannedSlot]:
    """Return a centre's slots that end after ``since`` and begin before ``until``, soonest
    first, with who holds each."""
    actor.require_centre(centre_id)
    rows = session.execute(
        select(Slot, Course.reference, Course.id)
        .outerjoin(Booking, (Booking.slot_id == Slot.id) & Booking.status.in_(HOLDING))
        .outerjoin(Course, Course.id == Booking.course_id)
        .where(Slot.centre_id == centre_id, Slot.ends_at > since, Slot.starts_at < until)
        .order_by(Slot.starts_at, Slot.kind)
    ).all()
    return [PlannedSlot(slot, reference, course_id) for slot, reference, course_id in rows]


@dataclass(frozen=True)
class GroupSummary:
    """A group with the length of its waitlist."""

    group: Group
    waitlist: int


def centre_groups(session: Session, actor: Actor, centre_id: uuid.UUID) -> list[GroupSummary]:
    """Return a centre's groups, by their first session, with their waitlists' lengths."""
    actor.require_centre(centre_id)
    groups = session.scalars(select(Group).where(Group.centre_id == centre_id)).all()
    waiting = {  # noqa: C416 - rows are Row tuples
        group_id: count
        for group_id, count in session.execute(
            select(Booking.group_id, func.count(Booking.id))
            .where(
                Booking.group_id.in_([group.id for group in groups]),
                Booking.status == BookingStatus.WAITLISTED,
            )
            .group_by(Booking.group_id)
        ).all()
    }
    ordered = sorted(groups, key=lambda g: g.sessions[0].starts_at if g.sessions else g.created_at)
    return [GroupSummary(group, waiting.get(group.id, 0)) for group in ordered]


@dataclass(frozen=True)
class Seat:
    """A group place or a place on its waitlist, by course reference."""

    course_id: uuid.UUID
    reference: str


@dataclass(frozen=True)
class Roster:
    """A group's members (booked places, in the order they got them) and its waitlist, in order."""

    members: list[Seat]
    waitlist: list[Seat]


def roster(session: Session, actor: Actor, group_id: uuid.UUID) -> Roster:
    """Return who has a place in the group and who waits for one, by course reference."""
    group = session.get(Group, group_id)
    if group is None:
        raise errors.NotFound()
    actor.require_centre(group.centre_id)
    rows = session.execute(
        select(Booking.status, Course.id, Course.reference)
        .join(Course, Course.id == Booking.course_id)
        .where(
            Booking.group_id == group_id,
            Booking.status.in_((BookingStatus.BOOKED, BookingStatus.WAITLISTED)),
        )
        .order_by(Booking.queue_no, Booking.placed_at, Course.reference)
    ).all()
    return Roster(
        members=[Seat(c, r) for status, c, r in rows if status is BookingStatus.BOOKED],
        waitlist=[Seat(c, r) for status, c, r in rows if status is BookingStatus.WAITLISTED],
    )
