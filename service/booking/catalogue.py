"""What citizens may choose from: free slots, groups with places, providers with their next time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from service.booking.directory import centre, contract_ends, contracted_centres
from service.booking.reservations import HOLDING, progress
from service.core.clock import local_today
from service.models import (
    Booking,
    BookingStatus,
    Centre,
    Course,
    Group,
    GroupSession,
    Slot,
    SlotKind,
)

# How many free slots one listing returns at most.
SLOT_PAGE = 200


def _free() -> ColumnElement[bool]:
    return (
        ~select(Booking.id).where(Booking.slot_id == Slot.id, Booking.status.in_(HOLDING)).exists()
    )


def _before_ends(ends: dict[uuid.UUID, datetime]) -> ColumnElement[bool]:
    """Return, as SQL, that a slot starts before its centre's contract ends (where it ends)."""
    return and_(
        true(), *(or_(Slot.centre_id != c, Slot.starts_at < end) for c, end in ends.items())
    )


def free_slots(
    session: Session,
    centre_id: uuid.UUID,
    kind: SlotKind,
    *,
    now: datetime,
    home: str | None = None,
    after: datetime | None = None,
) -> Sequence[Slot]:
    """Return a centre's free future slots of one kind, soonest first.

    With ``home``, only the times before the municipality's contract with the
    centre ends: a later time could not be booked (SPEC rule 5). With
    ``after``, only the times that start then or later.
    """
    centre(session, centre_id)
    ends = {} if home is None else contract_ends(session, home, [centre_id], on=local_today(now))
    query = (
        select(Slot)
        .where(
            Slot.centre_id == centre_id,
            Slot.kind == kind,
            Slot.starts_at > now,
            Slot.starts_at >= (after or now),
            _free(),
            _before_ends(ends),
        )
        .order_by(Slot.starts_at)
        .limit(SLOT_PAGE)
    )
    return session.scalars(query).all()


def times_for(
    session: Session,
    course: Course,
    kind: SlotKind,
    *,
    now: datetime,
    after: datetime | None = None,
) -> Sequence[Slot]:
    """Return the free times a course may book a talk of ``kind`` at, soonest first.

    An intro talk is bounded by the home municipality's contract with the
    centre (SPEC rule 5); the closing talk only by the centre's free times,
    and by ``after`` where given (the citizen's page passes the end of the
    group, ``steps.NextSteps.closing_from``).
    """
    home = course.home_municipality if kind is SlotKind.INTRO else None
    return free_slots(session, course.centre_id, kind, now=now, home=home, after=after)


def next_free_intro(
    session: Session,
    centre_ids: Sequence[uuid.UUID],
    *,
    now: datetime,
    ends: dict[uuid.UUID, datetime] | None = None,
) -> dict[uuid.UUID, datetime]:
    """Return each centre's soonest free intro time (before ``ends``), for those that have one."""
    rows = session.execute(
        select(Slot.centre_id, func.min(Slot.starts_at))
        .where(
            Slot.centre_id.in_(centre_ids),
            Slot.kind == SlotKind.INTRO,
            Slot.starts_at > now,
            _free(),
            _before_ends(ends or {}),
        )
        .group_by(Slot.centre_id)
    ).all()
    return {centre_id: soonest for centre_id, soonest in rows}  # noqa: C416 - rows are Row tuples


@dataclass(frozen=True)
class GroupView:
    """A group as a citizen sees it."""

    group: Group
    places_left: int
    waitlist: int
    joinable: bool


def _waitlists(session: Session, group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(Booking.group_id, func.count(Booking.id))
        .where(Booking.group_id.in_(group_ids), Booking.status == BookingStatus.WAITLISTED)
        .group_by(Booking.group_id)
    ).all()
    return {group_id: count for group_id, count in rows if group_id is not None}


def _view(group: Group, waitlist: int, *, now: datetime) -> GroupView:
    state = progress(group, now=now)
    return GroupView(
        group=group,
        places_left=group.capacity - group.places_taken,
        waitlist=waitlist,
        joinable=group.intake_open and state.joinable(group.late_join_until),
    )


def group_view(session: Session, group: Group, *, now: datetime) -> GroupView:
    """Return one group as a citizen sees it."""
    return _view(group, _waitlists(session, [group.id]).get(group.id, 0), now=now)


def group_views(
    session: Session, centre_ids: Sequence[uuid.UUID], *, now: datetime
) -> list[GroupView]:
    """Return the centres' groups that still have sessions to come."""
    # Only groups with a session to come: ten years of groups that have ended
    # stay in the database, and loading them all costs far more than the query.
    to_come = (
        select(GroupSession.id)
        .where(GroupSession.group_id == Group.id, GroupSession.starts_at > now)
        .exists()
    )
    groups = session.scalars(
        select(Group).where(Group.centre_id.in_(centre_ids), to_come).order_by(Group.created_at)
    ).all()
    waiting = _waitlists(session, [g.id for g in groups])
    return [
        _view(group, waiting.get(group.id, 0), now=now)
        for group in groups
        if progress(group, now=now).remaining
    ]


@dataclass(frozen=True)
class Provider:
    """A centre a citizen may choose, with its soonest intro and its open groups."""

    centre: Centre
    next_intro: datetime | None
    groups: list[GroupView]


def providers(session: Session, code: str, *, now: datetime) -> list[Provider]:
    """Return the providers a municipality contracts today, soonest free intro first."""
    centres = contracted_centres(session, code, on=local_today(now))
    ids = [c.id for c in centres]
    ends = contract_ends(session, code, ids, on=local_today(now))
    soonest = next_free_intro(session, ids, now=now, ends=ends)
    groups = group_views(session, ids, now=now)
    listed = [
        Provider(
            centre=c,
            next_intro=soonest.get(c.id),
            groups=[v for v in groups if v.group.centre_id == c.id and v.places_left > 0],
        )
        for c in centres
    ]
    return sorted(listed, key=lambda p: (p.next_intro is None, p.next_intro or now, p.centre.name))
