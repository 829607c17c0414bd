"""Who was expected at each group meeting, what staff recorded, and each member's history.

A meeting's list holds the members whose place was granted before the
meeting began and who had not left before it began. A member who joined
later (late joining, SPEC rule 3) is not on the lists of the meetings
before, so no absence is ever stored for them there: marks that name
them are refused (``NotAMember``), like marks for a course that never had
a place. The same instant decides where their group starts
(``reservations.progress``: the first meeting that begins after the place
was granted), so the lists and ``started`` agree.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from service.core import errors
from service.identity import audit
from service.identity.actors import Actor
from service.models import (
    Attendance,
    Booking,
    BookingKind,
    BookingStatus,
    Course,
    Group,
    GroupSession,
)


def _on_the_list(starts_at: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Return, as SQL, whether a group booking is on the list of a meeting that starts then."""
    return and_(
        Booking.kind == BookingKind.GROUP,
        Booking.placed_at.is_not(None),
        Booking.placed_at < starts_at,
        or_(
            Booking.status == BookingStatus.BOOKED,
            and_(Booking.status == BookingStatus.CANCELLED, Booking.cancelled_at > starts_at),
        ),
    )


def _meeting(
    session: Session, actor: Actor, group_id: uuid.UUID, session_id: uuid.UUID
) -> GroupSession:
    meeting = session.get(GroupSession, session_id)
    if meeting is None or meeting.group_id != group_id:
        raise errors.NotFound("The group has no such session.")
    actor.require_centre(meeting.group.centre_id)
    return meeting


@dataclass(frozen=True)
class Seat:
    """A member on a meeting's list, by course reference."""

    course_id: uuid.UUID
    reference: str


def meeting_list(
    session: Session, actor: Actor, group_id: uuid.UUID, session_id: uuid.UUID
) -> list[Seat]:
    """Return the members expected at a meeting, in the order they got their places."""
    meeting = _meeting(session, actor, group_id, session_id)
    rows = session.execute(
        select(Course.id, Course.reference)
        .join(Booking, Booking.course_id == Course.id)
        .where(Booking.group_id == group_id, _on_the_list(meeting.starts_at))
        .order_by(Booking.placed_at, Course.reference)
    ).all()
    return [Seat(course_id, reference) for course_id, reference in rows]


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
    """Mark members present or absent at a session that has begun; marking again overwrites.

    A mark for a course that is not on the meeting's list (no place, a place
    granted after the meeting began, or left before it) is refused and
    nothing is stored.
    """
    meeting = _meeting(session, actor, group_id, session_id)
    if meeting.starts_at > now:
        raise errors.AttendanceTooEarly()
    members = {
        booking.course_id: booking
        for booking in session.scalars(
            select(Booking).where(Booking.group_id == group_id, _on_the_list(meeting.starts_at))
        )
    }
    if any(mark.course_id not in members for mark in marks):
        raise errors.NotAMember(field="course_id")
    existing = {
        row.booking_id: row
        for row in session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }
    recorded = []
    for mark in marks:
        member = members[mark.course_id]
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


def record_all_present(
    session: Session, actor: Actor, group_id: uuid.UUID, session_id: uuid.UUID, *, now: datetime
) -> list[Attendance]:
    """Mark every member on the meeting's list present ("Alle mødt"); each can be changed after."""
    members = meeting_list(session, actor, group_id, session_id)
    marks = [Mark(seat.course_id, present=True) for seat in members]
    return record_attendance(session, actor, group_id, session_id, marks, now=now)


def marks_of(session: Session, session_id: uuid.UUID) -> dict[uuid.UUID, bool]:
    """Return what was recorded for a session: present or not, by course."""
    rows = session.execute(
        select(Booking.course_id, Attendance.present)
        .join(Booking, Booking.id == Attendance.booking_id)
        .where(Attendance.session_id == session_id)
    ).all()
    return {course_id: present for course_id, present in rows}  # noqa: C416 - Row tuples


class Presence(enum.StrEnum):
    """Where a member stands at one meeting of their group."""

    ATTENDED = "attended"
    ABSENT = "absent"
    NOT_RECORDED = "not_recorded"
    COMING = "coming"
    NOT_YET_MEMBER = "not_yet_member"
    LEFT = "left"


@dataclass(frozen=True)
class MeetingPresence:
    """One meeting of a member's group and where the member stood at it."""

    number: int
    starts_at: datetime
    ends_at: datetime
    presence: Presence


@dataclass(frozen=True)
class GroupHistory:
    """A course's place in one group and its meetings, first to last."""

    group_id: uuid.UUID
    group_name: str
    meetings: list[MeetingPresence]


def _presence(
    booking: Booking, meeting: GroupSession, marks: dict[uuid.UUID, bool], *, now: datetime
) -> Presence:
    assert booking.placed_at is not None
    if booking.placed_at >= meeting.starts_at:
        return Presence.NOT_YET_MEMBER
    left = booking.status is BookingStatus.CANCELLED
    if left and booking.cancelled_at is not None and booking.cancelled_at <= meeting.starts_at:
        return Presence.LEFT
    if meeting.id in marks:
        return Presence.ATTENDED if marks[meeting.id] else Presence.ABSENT
    return Presence.COMING if meeting.starts_at > now else Presence.NOT_RECORDED


def history(
    session: Session, actor: Actor, course_id: uuid.UUID, *, now: datetime
) -> list[GroupHistory]:
    """Return each group the course had a place in, with every meeting and the member's presence."""
    course = session.get(Course, course_id)
    if course is None:
        raise errors.NotFound()
    actor.require_centre(course.centre_id)
    placed = [
        booking
        for booking in course.bookings
        if booking.kind is BookingKind.GROUP and booking.placed_at is not None
    ]
    found = []
    for booking in placed:
        group = session.get_one(Group, booking.group_id)
        marks = {  # noqa: C416 - rows are Row tuples
            session_id: present
            for session_id, present in session.execute(
                select(Attendance.session_id, Attendance.present).where(
                    Attendance.booking_id == booking.id
                )
            ).all()
        }
        meetings = [
            MeetingPresence(
                meeting.number,
                meeting.starts_at,
                meeting.ends_at,
                _presence(booking, meeting, marks, now=now),
            )
            for meeting in group.sessions
        ]
        found.append(GroupHistory(group.id, group.name, meetings))
    return found
