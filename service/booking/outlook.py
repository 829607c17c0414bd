"""What lies ahead for a course: its talks, its group's meetings, the centre's next group.

The citizen's pages say what happens next from this: how long the first
talk lasts (from its slot), when and how often the group meets, the
citizen's own next meeting (never one in the past), and how soon a new
group starts at the centre.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from service.booking.catalogue import group_views
from service.booking.steps import NextSteps
from service.core.clock import LOCAL
from service.models import BookingKind, Course, Group, GroupSession, Slot


@dataclass(frozen=True)
class Talk:
    """A booked talk: when, and for how many minutes."""

    starts_at: datetime
    minutes: int
    begun: bool


@dataclass(frozen=True)
class Meetings:
    """A group's meetings as a citizen plans around them."""

    name: str
    count: int
    first: datetime
    last: datetime
    minutes: int
    # Set when every meeting falls on one weekday at one time: "every Tuesday, 17:00".
    weekly: datetime | None
    # The next meeting to come, or None once the last has begun.
    next: datetime | None


@dataclass(frozen=True)
class Outlook:
    """What a course has ahead of it."""

    intro: Talk | None
    closing: Talk | None
    group: Meetings | None
    waitlisted: bool
    next_group: Meetings | None
    closing_from: datetime | None


def _talk(session: Session, slot_id: uuid.UUID | None, *, now: datetime) -> Talk | None:
    slot = session.get(Slot, slot_id)
    if slot is None:
        return None
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    return Talk(slot.starts_at, minutes, slot.starts_at <= now)


def _one_pattern(sessions: Sequence[GroupSession]) -> bool:
    local = [(s.starts_at.astimezone(LOCAL), s.ends_at.astimezone(LOCAL)) for s in sessions]
    return len({(start.weekday(), start.time(), end.time()) for start, end in local}) == 1


def meetings(group: Group, *, now: datetime) -> Meetings:
    """Return a group's meetings as a citizen plans around them."""
    sessions = group.sessions
    first = sessions[0]
    coming = [s for s in sessions if s.starts_at > now]
    return Meetings(
        name=group.name,
        count=len(sessions),
        first=first.starts_at,
        last=sessions[-1].starts_at,
        minutes=int((first.ends_at - first.starts_at).total_seconds() // 60),
        weekly=first.starts_at if _one_pattern(sessions) else None,
        next=coming[0].starts_at if coming else None,
    )


def _next_group(session: Session, course: Course, *, now: datetime) -> Meetings | None:
    """Return the centre's next group to start that a newcomer may join."""
    starting = [
        view.group
        for view in group_views(session, [course.centre_id], now=now)
        if view.joinable and view.group.sessions[0].starts_at > now
    ]
    soonest = min(starting, key=lambda group: group.sessions[0].starts_at, default=None)
    return None if soonest is None else meetings(soonest, now=now)


def outlook(session: Session, course: Course, steps: NextSteps, *, now: datetime) -> Outlook:
    """Return what lies ahead for the course, from its live bookings."""
    intro, group, closing = (steps.live.get(kind) for kind in BookingKind)
    placed = None if group is None else session.get(Group, group.group_id)
    return Outlook(
        intro=None if intro is None else _talk(session, intro.slot_id, now=now),
        closing=None if closing is None else _talk(session, closing.slot_id, now=now),
        group=None if placed is None else meetings(placed, now=now),
        waitlisted=group is not None and group.queue_no is not None,
        next_group=_next_group(session, course, now=now),
        closing_from=steps.closing_from,
    )
