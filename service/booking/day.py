"""A centre's day and week: talks, slots and group sessions by local date, by course reference
only, with the holidays the centre closes on."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.booking.holidays import holiday_on
from service.booking.schedule import PlannedSlot, centre_slots
from service.core.clock import LOCAL
from service.core.errors import NotFound
from service.identity.actors import Actor
from service.models import Booking, Course, Group, GroupSession, Slot
from service.models.pathway import BookingStatus


class Talk(NamedTuple):
    """A booked or attended talk: its slot, and the course by reference."""

    slot: Slot
    reference: str
    course_id: uuid.UUID


class Meeting(NamedTuple):
    """A group session and its group."""

    session: GroupSession
    group: Group


class Day(NamedTuple):
    """What happens at a centre on one date, each list in order of time."""

    starts_at: datetime
    talks: list[Talk]
    meetings: list[Meeting]
    holiday: str | None


def centre_day(session: Session, actor: Actor, on: date) -> Day:
    """Return the actor's centre's talks and group sessions of a Copenhagen date."""
    if actor.centre_id is None:
        raise NotFound()
    start, end = local_midnight(on), local_midnight(on + timedelta(days=1))
    talks = session.execute(
        select(Slot, Course.reference, Course.id)
        .join(Booking, Booking.slot_id == Slot.id)
        .join(Course, Course.id == Booking.course_id)
        .where(
            Slot.centre_id == actor.centre_id,
            Slot.starts_at >= start,
            Slot.starts_at < end,
            Booking.status.in_((BookingStatus.BOOKED, BookingStatus.ATTENDED)),
        )
        .order_by(Slot.starts_at)
    ).all()
    meetings = session.execute(
        select(GroupSession, Group)
        .join(Group, Group.id == GroupSession.group_id)
        .where(
            Group.centre_id == actor.centre_id,
            GroupSession.starts_at >= start,
            GroupSession.starts_at < end,
        )
        .order_by(GroupSession.starts_at)
    ).all()
    return Day(
        starts_at=start,
        talks=[Talk(*row) for row in talks],
        meetings=[Meeting(*row) for row in meetings],
        holiday=holiday_on(on),
    )


def monday_of(on: date) -> date:
    """Return the Monday of a date's week (Danish weeks run Monday to Sunday)."""
    return on - timedelta(days=on.weekday())


def local_midnight(on: date) -> datetime:
    """Return the instant a Copenhagen date begins."""
    return datetime.combine(on, time(), tzinfo=LOCAL)


class WeekDay(NamedTuple):
    """One date of a week at a centre: its holiday, if any, its slots and its group sessions."""

    on: date
    holiday: str | None
    slots: list[PlannedSlot]
    meetings: list[Meeting]


def by_date(planned: list[PlannedSlot]) -> dict[date, list[PlannedSlot]]:
    """Group slots by their Copenhagen start date, keeping their order."""
    grouped: dict[date, list[PlannedSlot]] = {}
    for each in planned:
        grouped.setdefault(each.slot.starts_at.astimezone(LOCAL).date(), []).append(each)
    return grouped


def centre_week(session: Session, actor: Actor, monday: date) -> list[WeekDay]:
    """Return the actor's centre's seven days from a Monday: every slot (free or held, by course
    reference) and every group session, with the holidays."""
    if actor.centre_id is None:
        raise NotFound()
    start, end = local_midnight(monday), local_midnight(monday + timedelta(days=7))
    slots = by_date(centre_slots(session, actor, actor.centre_id, since=start, until=end))
    meetings: dict[date, list[Meeting]] = {}
    for row in session.execute(
        select(GroupSession, Group)
        .join(Group, Group.id == GroupSession.group_id)
        .where(
            Group.centre_id == actor.centre_id,
            GroupSession.starts_at >= start,
            GroupSession.starts_at < end,
        )
        .order_by(GroupSession.starts_at)
    ).all():
        meeting = Meeting(*row)
        meetings.setdefault(meeting.session.starts_at.astimezone(LOCAL).date(), []).append(meeting)
    days = [monday + timedelta(days=n) for n in range(7)]
    return [WeekDay(on, holiday_on(on), slots.get(on, []), meetings.get(on, [])) for on in days]
