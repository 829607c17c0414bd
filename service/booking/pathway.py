"""A citizen's course from request to end: the token, decisions, outcomes and erasure.

A new course passes its rules once its slot is locked: the home municipality
exists, the slot is not held (asked after the lock, so that a booking
committed while this transaction waited for the lock is seen), and there is
a contract on the booking day and on the talk's day. The course row is
inserted only where they all hold (``_RULES_HOLD``), so a booking that passes
costs no statement of its own for them; one that does not asks them again,
apart (``_WHICH_RULE``), to tell which said no.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Executable,
    Insert,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached

import crypto
from service import metrics
from service.booking import directory, events, feeds, talks, tally
from service.booking.locks import lock, lock_slot_with_centre
from service.booking.reservations import (
    lock_course_and_group,
    refuse_unbookable,
    release_all,
    slot_held,
)
from service.core import errors
from service.core.clock import local_today, to_the_minute
from service.identity import audit
from service.identity.actors import Actor
from service.models import (
    OPEN_STATUSES,
    Booking,
    BookingKind,
    BookingStatus,
    Course,
    CourseStatus,
    Slot,
    SlotKind,
    WebSession,
)
from service.models.base import InsertOf

TOKEN_PURPOSE = "token"  # noqa: S105 - a digest purpose label, not a secret


class Decision(StrEnum):
    """What the centre decides after the intro talk (§ 101 a, stk. 3-5)."""

    APPROVED = "approved"
    REFERRED = "referred"


class Outcome(StrEnum):
    """How a course ends, as staff record it."""

    COMPLETED = "completed"
    DROPPED = "dropped"
    NEVER_CAME = "never_came"


# The rules of a new course, as SQL (see the module docstring).
_HOME: BindParameter[str] = bindparam("home_municipality")
_CENTRE: BindParameter[uuid.UUID] = bindparam("centre_id")
_KNOWN = directory.municipality_known(_HOME)
_HELD = slot_held(bindparam("slot_id"))
_CONTRACTED_WHEN_BOOKED = directory.contracted(_HOME, _CENTRE, bindparam("booked_on"))
_CONTRACTED_WHEN_HELD = directory.contracted(_HOME, _CENTRE, bindparam("held_on"))
_RULES_HOLD = and_(_KNOWN, ~_HELD, _CONTRACTED_WHEN_BOOKED, _CONTRACTED_WHEN_HELD)
_WHICH_RULE = select(_KNOWN, _HELD, _CONTRACTED_WHEN_BOOKED, _CONTRACTED_WHEN_HELD)
_MUNICIPALITY_KNOWN = select(_KNOWN)
_BY_TOKEN = select(Course).where(Course.token_digest.in_(bindparam("digests", expanding=True)))
# The course with what its own page shows, in one statement instead of one
# per booking: its centre, and its bookings with their slots, joined.
_BY_TOKEN_SHOWN = _BY_TOKEN.options(
    joinedload(Course.centre), joinedload(Course.bookings).joinedload(Booking.slot)
)

# Core inserts into the tables, built once: no unit of work to sort. A clash
# of the random reference leaves the row out, as a broken rule does, instead
# of failing the transaction, and the caller draws again.
_COURSES = cast(Table, Course.__table__)
_COURSE_COLUMNS = tuple(column.name for column in _COURSES.columns)
_COURSE_IF_RULES_HOLD = select(
    *(bindparam(column.name, type_=column.type) for column in _COURSES.columns)
).where(_RULES_HOLD)
_BOOKINGS = cast(Table, Booking.__table__)
_BOOKING_COLUMNS = tuple(column.name for column in _BOOKINGS.columns)
_INSERT_BOOKING = insert(_BOOKINGS)
# The booking's parameters in the one statement below, apart from the course's.
_BOOKING_PREFIX = "booking_"


def _course_if_rules_hold(insert_of: InsertOf) -> Insert:
    return (
        insert_of(_COURSES)
        .from_select(_COURSE_COLUMNS, _COURSE_IF_RULES_HOLD)
        .on_conflict_do_nothing(index_elements=[_COURSES.c.reference])
        .returning(_COURSES.c.id)
    )


def _course_and_booking() -> Select[tuple[uuid.UUID]]:
    """The course and its intro booking as one PostgreSQL statement.

    The booking is written from the course's RETURNING, as a data-modifying
    CTE, so where a rule says no neither is. The count stays a statement of
    its own, the last before COMMIT: every booking of a month counts on one
    row, and here its lock would be held through the statement's foreign
    key checks too (docs/performance.md).
    """
    course = _course_if_rules_hold(postgresql.insert).cte("new_course")
    booking = select(
        *(
            course.c.id
            if name == "course_id"
            else bindparam(_BOOKING_PREFIX + name, type_=column.type)
            for name, column in _BOOKINGS.columns.items()
        )
    )
    booked = insert(_BOOKINGS).from_select(_BOOKING_COLUMNS, booking).cte("new_booking")
    return select(course.c.id).add_cte(booked)


_COURSE_AND_BOOKING = _course_and_booking()
# SQLite has no data-modifying CTEs: there the booking follows apart.
_COURSE_ALONE = _course_if_rules_hold(sqlite.insert)
# 40 random bits: among a million courses a draw clashes about once in a million.
_REFERENCE_DRAWS = 5


def _bind_token(course: Course, keyring: crypto.Keyring) -> str:
    token = crypto.generate_token()
    digest = keyring.digest(crypto.normalize_token(token), purpose=TOKEN_PURPOSE)
    course.token_digest, course.token_key_version = digest.value, digest.version
    return token


def _row(instance: Course | Booking, columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in columns}


def _refuse_broken_rule(session: Session, parameters: dict[str, Any]) -> None:
    known, held, when_booked, when_held = session.execute(_WHICH_RULE, parameters).one()
    if not known:
        raise _unknown_municipality()
    if held:
        raise errors.SlotTaken(field="slot_id")
    booked_on, held_on = parameters["booked_on"], parameters["held_on"]
    directory.refuse_uncontracted(
        parameters["home_municipality"], {booked_on: when_booked, held_on: when_held}
    )


def _insert_course(
    session: Session, statement: Executable, course: Course, parameters: dict[str, Any]
) -> None:
    """Run ``statement`` under fresh references until it inserts the course or a rule says no."""
    for _ in range(_REFERENCE_DRAWS):
        course.reference = crypto.generate_reference()
        drawn = _row(course, _COURSE_COLUMNS) | parameters
        if session.scalar(statement, drawn) is not None:
            return
        # Nothing was inserted: a rule said no, or the reference was taken.
        _refuse_broken_rule(session, drawn)
    raise RuntimeError("no free course reference was drawn")


def _insert(session: Session, course: Course, booking: Booking, rules: dict[str, Any]) -> None:
    """Insert the course where every rule holds, under a fresh reference, and its booking."""
    if session.get_bind().dialect.name == "postgresql":
        booked = {
            _BOOKING_PREFIX + name: value for name, value in _row(booking, _BOOKING_COLUMNS).items()
        }
        _insert_course(session, _COURSE_AND_BOOKING, course, rules | booked)
    else:
        _insert_course(session, _COURSE_ALONE, course, rules)
        session.execute(_INSERT_BOOKING, _row(booking, _BOOKING_COLUMNS))
    # The rows are in; the objects join the session as if just loaded, every
    # attribute known, so neither the flush nor the answer asks again.
    make_transient_to_detached(course)
    make_transient_to_detached(booking)
    session.add(course)


@metrics.counts_booking("intro")
def create_course(
    session: Session,
    keyring: crypto.Keyring,
    *,
    home_municipality: str,
    centre_id: uuid.UUID,
    intro_slot_id: uuid.UUID,
    language: str,
    now: datetime,
) -> tuple[str, Course]:
    """Create a token, a course and its intro booking; return the token, shown only once."""
    # The refusals come in the order of the rules: an unknown municipality,
    # then a slot that cannot be booked, then a taken slot, then no contract.
    try:
        slot, centre = lock_slot_with_centre(session, intro_slot_id)
        refuse_unbookable(slot, centre_id=centre_id, kind=SlotKind.INTRO, now=now)
    except errors.NotFound:
        _refuse_unknown_municipality(session, home_municipality)
        raise errors.SlotUnavailable("No such time can be booked.", field="slot_id") from None
    except errors.SlotUnavailable:
        _refuse_unknown_municipality(session, home_municipality)
        raise
    course = Course(
        id=uuid.uuid4(),
        centre_id=centre_id,
        centre=centre,
        home_municipality=home_municipality,
        language=language,
        status=CourseStatus.REQUESTED,
        requested_at=to_the_minute(now),
        intro_at=None,
        decided_at=None,
        started_at=None,
        ended_at=None,
    )
    token = _bind_token(course, keyring)
    booking = Booking(
        id=uuid.uuid4(),
        course_id=course.id,
        kind=BookingKind.INTRO,
        slot_id=slot.id,
        slot=slot,
        group_id=None,
        status=BookingStatus.BOOKED,
        queue_no=None,
        created_at=to_the_minute(now),
        placed_at=None,
        sequence=0,
        cancelled_at=None,
        place_news=False,
    )
    course.bookings.append(booking)
    rules = {
        "slot_id": slot.id,
        "booked_on": local_today(now),
        "held_on": local_today(slot.starts_at),
    }
    _insert(session, course, booking, rules)
    tally.count(session, course, "requested", at=now)
    return token, course


def _unknown_municipality() -> errors.InvalidInput:
    return errors.InvalidInput("No municipality has that code.", field="home_municipality")


def _refuse_unknown_municipality(session: Session, code: str) -> None:
    if not session.scalar(_MUNICIPALITY_KNOWN, {"home_municipality": code}):
        raise _unknown_municipality()


def course_for_token(
    session: Session, keyring: crypto.Keyring, token: str, *, shown: bool = False
) -> Course:
    """Return the course a token belongs to; ``shown`` loads its centre and bookings with it.

    A typo is caught by the check character before the database is asked. An
    unknown, replaced or erased token raises the one ``TokenRejected``, after
    the same single indexed lookup, so the answers cannot be told apart.
    Load what the answer shows only where nothing is written before it: a
    booking added later would be missing from a collection loaded now.
    """
    try:
        canonical = crypto.normalize_token(token)
    except crypto.InvalidTokenError:
        raise errors.TokenMalformed() from None
    digests = [d.value for d in keyring.candidates(canonical, purpose=TOKEN_PURPOSE)]
    found = session.execute(_BY_TOKEN_SHOWN if shown else _BY_TOKEN, {"digests": digests})
    # A row per booking when they are joined: unique() makes them one course.
    course = found.unique().scalar_one_or_none()
    if course is None:
        raise errors.TokenRejected()
    return course


def needs_rekey(course: Course, keyring: crypto.Keyring) -> bool:
    """Tell whether the stored digest is under an older key or wrapped."""
    return (
        course.token_key_version != keyring.current_version
        or course.token_inner_version is not None
    )


def refresh_token_digest(
    session: Session, course: Course, keyring: crypto.Keyring, token: str
) -> None:
    """Store the token's plain digest under the current key, if the stored one is older or wrapped.

    Only the row whose digest is still the one read is changed, so a retire
    that wrapped it meanwhile, or another request that re-keyed it, wins
    without a clash; the next use re-keys it then.
    """
    if not needs_rekey(course, keyring):
        return
    digest = keyring.digest(crypto.normalize_token(token), purpose=TOKEN_PURPOSE)
    session.execute(
        update(Course)
        .where(Course.id == course.id, Course.token_digest == course.token_digest)
        .values(
            token_digest=digest.value, token_key_version=digest.version, token_inner_version=None
        )
        .execution_options(synchronize_session=False)
    )


def erase(session: Session, course_id: uuid.UUID, *, now: datetime) -> None:
    """Erase a course, its bookings and its token at the citizen's wish, freeing its places."""
    course = lock_course_and_group(session, course_id)
    release_all(session, course, now=now)
    tally.count(session, course, "erased", at=now)
    events.emit(session, "course.erased", course, now=now)
    session.delete(course)
    session.flush()


def staff_course(session: Session, actor: Actor, course_id: uuid.UUID) -> Course:
    """Lock and return a course of the actor's own centre (others look like missing ones)."""
    course = lock_course_and_group(session, course_id)
    actor.require_centre(course.centre_id)
    return course


def _audit(session: Session, actor: Actor, course: Course, action: str, *, now: datetime) -> None:
    audit.record(
        session,
        actor,
        action,
        object_type="course",
        object_id=course.id,
        centre_id=course.centre_id,
        now=now,
    )
    session.flush()


def book_for_caller(
    session: Session,
    keyring: crypto.Keyring,
    actor: Actor,
    *,
    home_municipality: str,
    intro_slot_id: uuid.UUID,
    now: datetime,
) -> tuple[str, Course]:
    """Create a course at the actor's centre for a citizen on the phone, in the audit trail."""
    if actor.centre_id is None:
        raise errors.NotFound()
    token, course = create_course(
        session,
        keyring,
        home_municipality=home_municipality,
        centre_id=actor.centre_id,
        intro_slot_id=intro_slot_id,
        language="da",
        now=now,
    )
    _audit(session, actor, course, "course.booked_for_caller", now=now)
    return token, course


def decide(
    session: Session, actor: Actor, course_id: uuid.UUID, decision: Decision, *, now: datetime
) -> Course:
    """Record the decision after the intro talk: approved, or referred to ordinary treatment."""
    course = staff_course(session, actor, course_id)
    if course.status is not CourseStatus.REQUESTED:
        raise errors.WrongStatus()
    intro = session.execute(
        select(Booking, Slot)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.course_id == course.id,
            Booking.kind == BookingKind.INTRO,
            Booking.status == BookingStatus.BOOKED,
        )
    ).first()
    if intro is None or intro.Slot.starts_at > now:
        raise errors.IntroNotHeld()
    intro.Booking.status = BookingStatus.ATTENDED
    course.intro_at = intro.Slot.starts_at
    course.decided_at = now
    tally.count(session, course, "intro_held", at=now)
    tally.count(session, course, decision.value, at=now)
    tally.wait(session, course, "request_to_intro", course.requested_at, course.intro_at, at=now)
    if decision is Decision.APPROVED:
        course.status = CourseStatus.APPROVED
        events.emit(session, "course.approved", course, now=now)
    else:
        course.status = CourseStatus.REFERRED
        course.ended_at = now
        release_all(session, course, now=now)
    _audit(session, actor, course, f"course.{decision.value}", now=now)
    return course


def record_outcome(
    session: Session, actor: Actor, course_id: uuid.UUID, outcome: Outcome, *, now: datetime
) -> Course:
    """Close a course as completed or dropped, freeing its future bookings.

    A course that ends before it ever had a group place is recorded as
    ``cancelled``, so that drop-out figures count only people who started;
    one whose citizen did not come to the intro talk, and did not book
    another, can be closed as ``never_came`` (``talks.refuse_unless_never_came``).
    """
    course = staff_course(session, actor, course_id)
    if course.status not in OPEN_STATUSES:
        raise errors.WrongStatus()
    if outcome is Outcome.NEVER_CAME:
        talks.refuse_unless_never_came(course)
        course.status = CourseStatus.NEVER_CAME
    elif course.status is CourseStatus.ACTIVE:
        course.status = CourseStatus(outcome.value)
    elif outcome is Outcome.DROPPED:
        course.status = CourseStatus.CANCELLED
    else:
        raise errors.WrongStatus("Only a course with a group place can be completed.")
    course.ended_at = now
    release_all(session, course, now=now)
    tally.count(session, course, course.status.value, at=now)
    if course.status is CourseStatus.COMPLETED:
        events.emit(session, "course.completed", course, now=now)
    _audit(session, actor, course, f"course.{course.status.value}", now=now)
    return course


def replace_token(
    session: Session, keyring: crypto.Keyring, actor: Actor, course_id: uuid.UUID, *, now: datetime
) -> tuple[str, Course]:
    """Give a citizen who is present a new token; the old one stops working at once."""
    course = lock(session, Course, course_id)
    actor.require_centre(course.centre_id)
    if course.status not in OPEN_STATUSES:
        raise errors.CourseClosed()
    token = _bind_token(course, keyring)
    # Whoever held the old token, signed in on a web page, is signed out with it.
    session.execute(delete(WebSession).where(WebSession.course_id == course.id))
    # The calendar feed was the old token's holder's: it ends with it.
    feeds.end(session, course.id)
    _audit(session, actor, course, "course.token_replaced", now=now)
    session.flush()
    return token, course


def centre_courses(
    session: Session, actor: Actor, centre_id: uuid.UUID, *, status: CourseStatus | None
) -> Sequence[Course]:
    """Return a centre's courses, newest request first, optionally of one status."""
    actor.require_centre(centre_id)
    query = select(Course).where(Course.centre_id == centre_id)
    if status is not None:
        query = query.where(Course.status == status)
    return session.scalars(query.order_by(Course.requested_at.desc())).all()
