"""What staff plan: slots, groups and their sessions, capacity, intake and attendance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.booking import audit, errors
from service.booking.actors import Actor
from service.booking.locks import lock
from service.booking.reservations import promote
from service.booking.text import refuse_cpr
from service.models import (
    Attendance,
    Booking,
    BookingKind,
    BookingStatus,
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
        raise errors.InvalidSchedule("Give at least one time.")
    for start, end in intervals:
        if end <= start or end - start > LONGEST:
            raise errors.InvalidSchedule("Each time must end after it starts, within 8 hours.")
        if start <= now:
            raise errors.InvalidSchedule("Times must lie in the future.")


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
            raise errors.InvalidSchedule("Two sessions of the group overlap.")
    if capacity < 1:
        raise errors.InvalidInput("Capacity must be at least 1.", field="capacity")
    group = Group(
        centre_id=centre_id,
        name=refuse_cpr(name.strip(), field="name"),
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
            raise errors.InvalidInput("Capacity must be at least 1.", field="capacity")
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


@dataclass(frozen=True)
class Mark:
    """One member's attendance at one session."""

    course_id: uuid.UUID
    present: bool


def record_attendance(
    session: Session,
    actor: Actor,
    group_id: uuid.UUID,
    session_id: uuid.UUID,
    marks: Sequence[Mark],
    *,
    now: datetime,
) -> list[Attendance]:
    """Mark members present or absent at a session that has begun; marking again overwrites."""
    meeting = session.get(GroupSession, session_id)
    if meeting is None or meeting.group_id != group_id:
        raise errors.NotFound("The group has no such session.")
    actor.require_centre(meeting.group.centre_id)
    if meeting.starts_at > now:
        raise errors.InvalidInput("Attendance is recorded once the session has begun.")
    members = {
        booking.course_id: booking
        for booking in session.scalars(
            select(Booking).where(
                Booking.group_id == group_id,
                Booking.kind == BookingKind.GROUP,
                Booking.placed_at.is_not(None),
                Booking.status.in_((BookingStatus.BOOKED, BookingStatus.CANCELLED)),
            )
        )
    }
    existing = {
        row.booking_id: row
        for row in session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }
    recorded = []
    for mark in marks:
        member = members.get(mark.course_id)
        if member is None:
            raise errors.InvalidInput("Not a member of this group.", field="course_id")
        row = existing.get(member.id) or Attendance(booking_id=member.id, session_id=session_id)
        row.present, row.recorded_at = mark.present, now
        session.add(row)
        recorded.append(row)
    session.flush()
    audit.record(
        session,
        actor,
        "attendance.recorded",
        object_type="group_session",
        object_id=session_id,
        centre_id=meeting.group.centre_id,
        now=now,
    )
    return recorded
