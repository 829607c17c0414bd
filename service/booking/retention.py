"""Storage limitation, on by default (SPEC P5): what is deleted, and when.

A course, its bookings, its attendance and its token digest go a set time
after the course ended (90 days by default); a course that never got past a
cancelled intro goes sooner (14 days after it was requested). Audit events
go after their own period, and short-lived rows (sessions, stored answers,
sent webhooks) once they can no longer be used. The statistics are tallies
that link to no course, so they stay (SPEC P6); what is published of them
is pruned by ``service.stats.store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, text, update
from sqlalchemy.orm import Session

from service.identity import audit
from service.identity.actors import SYSTEM
from service.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Course,
    CourseStatus,
    Delivery,
    DeliveryStatus,
    IdempotentAnswer,
    StaffSession,
    WebSession,
)

# The audit action of a completed purge: its time is what monitoring alerts on.
PURGED = "retention.purged"
# One number for the purge's advisory lock: two purges at once take turns.
_LOCK = 0x4449534B52455401  # "DISKRET" + 1
SESSION_LONGEST = timedelta(hours=12)
# How long a web session keeps the code it began with, for its text-file download.
CODE_KEPT = timedelta(minutes=15)


@dataclass(frozen=True)
class Periods:
    """How long each kind of row is kept."""

    after_end: timedelta = timedelta(days=90)
    never_started: timedelta = timedelta(days=14)
    audit: timedelta = timedelta(days=365)
    answers: timedelta = timedelta(hours=24)
    deliveries: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Purged:
    """How many rows of each kind one purge deleted."""

    ended_courses: int
    unstarted_courses: int
    audit_events: int
    sessions: int
    answers: int
    deliveries: int

    def total(self) -> int:
        """Return the number of rows deleted in all."""
        return sum(vars(self).values())


def _count(session: Session, statement: object) -> int:
    result = session.execute(statement)  # type: ignore[call-overload]
    return int(result.rowcount or 0)


def purge(session: Session, periods: Periods, *, now: datetime) -> Purged:
    """Delete what has been kept long enough, in the caller's transaction.

    On PostgreSQL an advisory transaction lock makes concurrent purges take
    turns, so each row is deleted by exactly one of them; SQLite's writers
    are serial already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK})
    live = exists().where(
        Booking.course_id == Course.id,
        Booking.status.in_(
            (BookingStatus.BOOKED, BookingStatus.WAITLISTED, BookingStatus.ATTENDED)
        ),
    )
    ended = _count(
        session,
        delete(Course).where(
            Course.ended_at.is_not(None), Course.ended_at < now - periods.after_end
        ),
    )
    unstarted = _count(
        session,
        delete(Course).where(
            Course.status == CourseStatus.REQUESTED,
            Course.requested_at < now - periods.never_started,
            ~live,
        ),
    )
    audit_events = _count(session, delete(AuditEvent).where(AuditEvent.at < now - periods.audit))
    sessions = _count(
        session, delete(WebSession).where(WebSession.created_at < now - SESSION_LONGEST)
    ) + _count(session, delete(StaffSession).where(StaffSession.created_at < now - SESSION_LONGEST))
    session.execute(
        update(WebSession)
        .where(WebSession.sealed_code.is_not(None), WebSession.created_at < now - CODE_KEPT)
        .values(sealed_code=None)
    )
    answers = _count(
        session, delete(IdempotentAnswer).where(IdempotentAnswer.created_at < now - periods.answers)
    )
    deliveries = _count(
        session,
        delete(Delivery).where(
            Delivery.status != DeliveryStatus.PENDING,
            Delivery.created_at < now - periods.deliveries,
        ),
    )
    audit.record(
        session, SYSTEM, PURGED, object_type="retention", object_id=None, centre_id=None, now=now
    )
    session.flush()
    return Purged(ended, unstarted, audit_events, sessions, answers, deliveries)


def remaining(session: Session) -> dict[str, int]:
    """Return how many courses are kept, by status (for the operator's report)."""
    rows = session.execute(select(Course.status, func.count()).group_by(Course.status))
    return {status.value: count for status, count in rows}
