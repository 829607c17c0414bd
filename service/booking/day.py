"""A centre's day: its talks and group sessions of one local date, by course reference only."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def centre_day(session: Session, actor: Actor, on: date) -> Day:
    """Return the actor's centre's talks and group sessions of a Copenhagen date."""
    if actor.centre_id is None:
        raise NotFound()
    start = datetime.combine(on, time(), tzinfo=LOCAL)
    end = start + timedelta(days=1)
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
    )
