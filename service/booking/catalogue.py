"""What citizens may choose from: free slots, groups with places, providers with their next time."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from service.booking.directory import centre, contract_ends, contracted_centres, municipalities
from service.booking.reservations import HOLDING, progress
from service.core.clock import LOCAL, local_to_utc, local_today
from service.core.collation import danish_key
from service.core.errors import SlotUnavailable
from service.models import (
    Booking,
    BookingStatus,
    Centre,
    Course,
    Group,
    GroupSession,
    Municipality,
    Slot,
    SlotKind,
)

# How many free slots one listing returns at most.
SLOT_PAGE = 200
# How many days with free times a citizen chooses from: a few weeks, the soonest first.
DAY_PAGE = 28
# How many free times the list of days looks at, at most.
DAY_SLOTS = 2000

# Breaks ties between places that can see a citizen equally soon: drawn anew
# for every listing, so that no place is first because of its name or age.
FAIR = random.SystemRandom()


def municipalities_by_name(session: Session) -> list[Municipality]:
    """Return every municipality in Danish alphabetical order (Aabenraa first, Ærø last)."""
    return sorted(municipalities(session), key=lambda each: danish_key(each.name))


def _free() -> ColumnElement[bool]:
    return (
        ~select(Booking.id).where(Booking.slot_id == Slot.id, Booking.status.in_(HOLDING)).exists()
    )


def _before_ends(ends: dict[uuid.UUID, datetime]) -> ColumnElement[bool]:
    """Return, as SQL, that a slot starts before its centre's contract ends (where it ends)."""
    return and_(
        true(), *(or_(Slot.centre_id != c, Slot.starts_at < end) for c, end in ends.items())
    )


def _bookable(
    session: Session, centre_id: uuid.UUID, kind: SlotKind, *, now: datetime, home: str | None
) -> list[ColumnElement[bool]]:
    """Return, as SQL, that a slot is a free future one of the centre a citizen may book."""
    centre(session, centre_id)
    ends = {} if home is None else contract_ends(session, home, [centre_id], on=local_today(now))
    return [
        Slot.centre_id == centre_id,
        Slot.kind == kind,
        Slot.starts_at > now,
        _free(),
        _before_ends(ends),
    ]


def free_slots(
    session: Session,
    centre_id: uuid.UUID,
    kind: SlotKind,
    *,
    now: datetime,
    home: str | None = None,
    on: date | None = None,
    after: datetime | None = None,
) -> Sequence[Slot]:
    """Return a centre's free future slots of one kind, soonest first.

    With ``home``, only the times before the municipality's contract with the
    centre ends: a later time could not be booked (SPEC rule 5). With ``on``,
    only the times of that Copenhagen calendar day; with ``after``, only the
    times that start then or later.
    """
    query = select(Slot).where(*_bookable(session, centre_id, kind, now=now, home=home))
    if after is not None:
        query = query.where(Slot.starts_at >= after)
    if on is not None:
        query = query.where(
            Slot.starts_at >= local_to_utc(on, time(0)),
            Slot.starts_at < local_to_utc(on + timedelta(days=1), time(0)),
        )
    return session.scalars(query.order_by(Slot.starts_at).limit(SLOT_PAGE)).all()


@dataclass(frozen=True)
class Day:
    """A Copenhagen calendar day with free times, and how many."""

    on: date
    times: int


def free_days(
    session: Session,
    centre_id: uuid.UUID,
    kind: SlotKind,
    *,
    now: datetime,
    home: str | None = None,
) -> list[Day]:
    """Return the first ``DAY_PAGE`` days on which ``free_slots`` has times, with their counts.

    Only the first ``DAY_SLOTS`` free times are counted; the day they end in
    may hold more, so it is left out rather than shown with too few.
    """
    query = (
        select(Slot.starts_at)
        .where(*_bookable(session, centre_id, kind, now=now, home=home))
        .order_by(Slot.starts_at)
        .limit(DAY_SLOTS)
    )
    starts = session.scalars(query).all()
    counts: dict[date, int] = {}
    for start in starts:
        day = local_today(start)
        counts[day] = counts.get(day, 0) + 1
    days = [Day(on, times) for on, times in counts.items()]
    return (days[:-1] if len(starts) == DAY_SLOTS else days)[:DAY_PAGE]


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


def soonest_free_intros(
    session: Session,
    centre_ids: Sequence[uuid.UUID],
    *,
    now: datetime,
    ends: dict[uuid.UUID, datetime] | None = None,
) -> dict[uuid.UUID, Slot]:
    """Return each centre's soonest free intro slot (before ``ends``), for those that have one."""
    bookable = (
        Slot.kind == SlotKind.INTRO,
        Slot.starts_at > now,
        _free(),
        _before_ends(ends or {}),
    )
    first = (
        select(Slot.centre_id, func.min(Slot.starts_at).label("starts_at"))
        .where(Slot.centre_id.in_(centre_ids), *bookable)
        .group_by(Slot.centre_id)
        .subquery()
    )
    slots = session.scalars(
        select(Slot)
        .join(first, and_(Slot.centre_id == first.c.centre_id, Slot.starts_at == first.c.starts_at))
        .where(*bookable)
        .order_by(Slot.id)
    ).all()
    soonest: dict[uuid.UUID, Slot] = {}
    for slot in slots:
        soonest.setdefault(slot.centre_id, slot)
    return soonest


@dataclass(frozen=True)
class Weekly:
    """When a group meets: a weekday (0 = Monday) and Copenhagen wall-clock times."""

    weekday: int
    starts: time
    ends: time


def meeting_times(group: Group, *, now: datetime) -> list[Weekly]:
    """Return the weekdays and times at which a group's coming sessions meet, Monday first."""
    seen: set[Weekly] = set()
    for meeting in group.sessions:
        if meeting.starts_at > now:
            begins, ends = meeting.starts_at.astimezone(LOCAL), meeting.ends_at.astimezone(LOCAL)
            seen.add(Weekly(begins.weekday(), begins.time(), ends.time()))
    return sorted(seen, key=lambda each: (each.weekday, each.starts, each.ends))


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
    # The slot of ``next_intro``: the time "book the soonest" takes, and the talk's length.
    next_slot: Slot | None = field(default=None, compare=False)


def providers(
    session: Session, code: str, *, now: datetime, draw: random.Random = FAIR
) -> list[Provider]:
    """Return the providers a municipality contracts today, soonest free intro first.

    Places that can see a citizen equally soon, and those with no free time,
    come in an order drawn anew by ``draw`` for each listing: never by name,
    which would always put the same place first.
    """
    centres = contracted_centres(session, code, on=local_today(now))
    ids = [c.id for c in centres]
    ends = contract_ends(session, code, ids, on=local_today(now))
    soonest = soonest_free_intros(session, ids, now=now, ends=ends)
    groups = group_views(session, ids, now=now)
    listed = [
        Provider(
            centre=c,
            next_intro=soonest[c.id].starts_at if c.id in soonest else None,
            groups=[v for v in groups if v.group.centre_id == c.id and v.places_left > 0],
            next_slot=soonest.get(c.id),
        )
        for c in centres
    ]
    drawn = {p.centre.id: draw.random() for p in listed}
    return sorted(
        listed, key=lambda p: (p.next_intro is None, p.next_intro or now, drawn[p.centre.id])
    )


def soonest(listed: Sequence[Provider]) -> Provider | None:
    """Return the provider with the first free intro: the first of ``providers`` with one."""
    return next((p for p in listed if p.next_slot is not None), None)


def slot(session: Session, slot_id: uuid.UUID) -> Slot:
    """Return a slot, or raise SlotUnavailable: a time that does not exist cannot be booked."""
    found = session.get(Slot, slot_id)
    if found is None:
        raise SlotUnavailable("No such time can be booked.", field="slot_id")
    return found
