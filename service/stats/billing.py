"""What a home municipality owes a centre for one month (SPEC section 2, "billing").

The home municipality pays the provider it contracts (serviceloven § 101 a,
stk. 2). A month is a Copenhagen calendar month, "YYYY-MM", and only a
month that is over is billed (``months_to_bill``). For a course and a month:

- **started**: its intro talk was held in the month: the intro booking is
  marked attended (the decision after the talk records that) and its slot
  began in the month. A cancelled intro or one the citizen did not come to
  is not billed. The talk counts in the month it was held, even when the
  decision is recorded in the next.
- **running**: it held a group place at one or more of its group's meetings
  that began in the month: the place was granted (``placed_at``) no later
  than the meeting began, was not given up (``cancelled_at``) before it
  began, and the course had not ended before it began. A member who missed
  every meeting of the month still runs; a waitlisted course does not.
- **completed**: it was closed as completed (status ``completed``) in the
  month (``ended_at``).
- **meetings**: the group meetings that began in the month at which it was
  recorded present. Billing is per citizen and meeting, so two citizens of
  one municipality at one meeting are two: a municipality's count is the
  sum of the centre's lines for its citizens, and the centre's invoice and
  the coordinator's counts can be set side by side.

A centre admin sees its own centre's courses by their random reference,
per home municipality (``centre_lines``): references identify nobody and
the lines do not leave the centre, so nothing is suppressed. A
municipality's coordinator (and an administrator, for any municipality)
sees counts per centre for its citizens (``municipality_counts``), never a
reference: those numbers leave the centre, so each measure is suppressed as
the statistics are (``service.stats.suppression.suppress`` over the whole
country's counts of the month, SPEC P6).

Courses are deleted a configured time after they end and whenever a citizen
erases theirs (SPEC P5), and their lines go with them: bill each month soon
after it is over.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from service.core.clock import LOCAL, last_month_over
from service.core.errors import NotFound
from service.identity.actors import Actor
from service.models import (
    Attendance,
    Booking,
    BookingKind,
    BookingStatus,
    Centre,
    Course,
    CourseStatus,
    GroupSession,
    Municipality,
    Slot,
)
from service.stats.suppression import ANY, Pattern, months_between, suppress

MEASURES = ("started", "running", "completed", "meetings")
# How many months back the month chooser offers.
MONTHS_OFFERED = 12


def months_to_bill(now: datetime) -> list[str]:
    """Return the months that may be billed at ``now``, the last one over first."""
    last = last_month_over(now)
    year, month = int(last[:4]), int(last[5:])
    first_index = year * 12 + month - MONTHS_OFFERED
    first = f"{first_index // 12:04d}-{first_index % 12 + 1:02d}"
    return list(reversed(months_between(first, last)))


def bounds(month: str) -> tuple[datetime, datetime]:
    """Return the first instant of a Copenhagen month and of the next, in UTC."""
    year, number = int(month[:4]), int(month[5:])
    after = (year + 1, 1) if number == 12 else (year, number + 1)
    begins = datetime(year, number, 1, tzinfo=LOCAL).astimezone(UTC)
    return begins, datetime(*after, 1, tzinfo=LOCAL).astimezone(UTC)


@dataclass(frozen=True)
class CourseLine:
    """One course's line of a centre's bill for a month, by its reference."""

    reference: str
    started: bool
    running: bool
    completed: bool
    meetings: int


@dataclass
class HomeBill:
    """A centre's lines for one home municipality, and their sums."""

    code: str
    name: str
    lines: list[CourseLine] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        """Return the number of courses started, running and completed, and the meetings."""
        return {
            "started": sum(line.started for line in self.lines),
            "running": sum(line.running for line in self.lines),
            "completed": sum(line.completed for line in self.lines),
            "meetings": sum(line.meetings for line in self.lines),
        }


@dataclass(frozen=True)
class CentreCounts:
    """A municipality's counts at one centre, as published: a count, "<5" or "x"."""

    centre_id: str
    name: str
    cells: dict[str, int | str]


@dataclass(frozen=True)
class MunicipalityBill:
    """A municipality's counts for a month, per centre and in total, suppressed."""

    code: str
    name: str
    centres: list[CentreCounts]
    total: dict[str, int | str]


# (course id, reference, home municipality, centre id) -> measure -> count
_Tally = dict[tuple[uuid.UUID, str, str, uuid.UUID], dict[str, int]]
_Query = Select[uuid.UUID, str, str, uuid.UUID, int]
_COURSE = (Course.id, Course.reference, Course.home_municipality, Course.centre_id)


def _tally(session: Session, month: str, reach: ColumnElement[bool]) -> _Tally:
    """Return each measure of the month for every course within ``reach`` that has one."""
    begins, ends = bounds(month)
    found: _Tally = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for measure, query in _queries(begins, ends).items():
        for course_id, reference, home, centre_id, count in session.execute(query.where(reach)):
            found[(course_id, reference, home, centre_id)][measure] = count
    return found


def _queries(begins: datetime, ends: datetime) -> dict[str, _Query]:
    """Return, per measure, a query of (course id, reference, home, centre, count)."""
    meeting_in_month = (GroupSession.starts_at >= begins) & (GroupSession.starts_at < ends)
    started = (
        select(*_COURSE, func.count(Booking.id))
        .join(Booking, Booking.course_id == Course.id)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.kind == BookingKind.INTRO,
            Booking.status == BookingStatus.ATTENDED,
            Slot.starts_at >= begins,
            Slot.starts_at < ends,
        )
    )
    running = (
        select(*_COURSE, func.count(func.distinct(Booking.id)))
        .join(Booking, Booking.course_id == Course.id)
        .join(GroupSession, GroupSession.group_id == Booking.group_id)
        .where(
            Booking.kind == BookingKind.GROUP,
            Booking.placed_at.is_not(None),
            Booking.placed_at <= GroupSession.starts_at,
            or_(Booking.cancelled_at.is_(None), Booking.cancelled_at > GroupSession.starts_at),
            or_(Course.ended_at.is_(None), Course.ended_at > GroupSession.starts_at),
            meeting_in_month,
        )
    )
    completed = select(*_COURSE, func.count(Course.id)).where(
        Course.status == CourseStatus.COMPLETED, Course.ended_at >= begins, Course.ended_at < ends
    )
    meetings = (
        select(*_COURSE, func.count(Attendance.id))
        .join(Booking, Booking.course_id == Course.id)
        .join(Attendance, Attendance.booking_id == Booking.id)
        .join(GroupSession, GroupSession.id == Attendance.session_id)
        .where(Attendance.present.is_(True), meeting_in_month)
    )
    queries = {"started": started, "running": running, "completed": completed}
    return {
        measure: query.group_by(*_COURSE)
        for measure, query in {**queries, "meetings": meetings}.items()
    }


def _names(session: Session) -> dict[str, str]:
    # A list of rows, not the result: dict() takes a result for a mapping (it has keys()).
    return dict(session.execute(select(Municipality.code, Municipality.name)).all())


def centre_lines(session: Session, actor: Actor, month: str) -> list[HomeBill]:
    """Return a centre's courses with something to bill in a month, per home municipality.

    Only a centre-bound actor has a centre's lines; any other is refused as
    if they did not exist.
    """
    if actor.centre_id is None:
        raise NotFound()
    names = _names(session)
    bills: dict[str, HomeBill] = {}
    tallied = _tally(session, month, Course.centre_id == actor.centre_id)
    for (_, reference, home, _), counts in sorted(tallied.items(), key=lambda item: item[0][1]):
        bill = bills.setdefault(home, HomeBill(home, names.get(home, home)))
        bill.lines.append(
            CourseLine(
                reference=reference,
                started=counts["started"] > 0,
                running=counts["running"] > 0,
                completed=counts["completed"] > 0,
                meetings=counts["meetings"],
            )
        )
    return [bills[code] for code in sorted(bills)]


def municipality_counts(
    session: Session, actor: Actor, month: str, *, home: str
) -> MunicipalityBill:
    """Return a municipality's counts per centre for a month, suppressed as statistics are.

    A coordinator reaches its own municipality only and an administrator
    every one; another municipality, a centre-bound actor or an unknown code
    is refused as if it did not exist.
    """
    if actor.centre_id is not None or actor.municipality_code not in (None, home):
        raise NotFound()
    names = _names(session)
    if home not in names:
        raise NotFound()
    centres = session.execute(
        select(Centre.id, Centre.name, Centre.municipality_code).order_by(Centre.name, Centre.id)
    ).all()
    located = {str(cid): place for cid, _, place in centres}
    # The whole country's counts: a pattern cut from one municipality's
    # alone would let the national statistics give its hidden cells away.
    patterns = _patterns(_tally(session, month, Course.id.is_not(None)).items(), located, month)
    shown = [
        CentreCounts(
            str(cid),
            name,
            {m: patterns[m].show((home, str(cid), month)) for m in MEASURES},
        )
        for cid, name, _ in centres
    ]
    total = {m: patterns[m].show((home, ANY, month)) for m in MEASURES}
    return MunicipalityBill(home, names[home], shown, total)


def _patterns(
    tallied: Iterable[tuple[tuple[uuid.UUID, str, str, uuid.UUID], Mapping[str, int]]],
    located: Mapping[str, str],
    month: str,
) -> dict[str, Pattern]:
    """Return, per measure, the suppression pattern of the country's counts of the month."""
    leaves: dict[str, dict[tuple[str, str, str], int]] = {m: defaultdict(int) for m in MEASURES}
    for (_, _, home, centre_id), counts in tallied:
        for measure in MEASURES:
            # A course counts once per measure; meetings count each attendance.
            step = counts[measure] if measure == "meetings" else min(counts[measure], 1)
            leaves[measure][(home, str(centre_id), month)] += step
    return {m: suppress(leaves[m], located=located, months=[month]) for m in MEASURES}
