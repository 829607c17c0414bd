"""One citizen's pathway ("forløb") and its bookings, bound to a pseudonymous token."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    case,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, MinuteDateTime, enum_column, uuid_pk

if TYPE_CHECKING:
    from service.models.directory import Centre
    from service.models.schedule import Slot


class CourseStatus(enum.StrEnum):
    """Where a course stands; SPEC section 3."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFERRED = "referred"
    ACTIVE = "active"
    COMPLETED = "completed"
    DROPPED = "dropped"
    CANCELLED = "cancelled"
    # Closed after the citizen did not come to the intro talk (recorded as a no-show).
    NEVER_CAME = "never_came"


OPEN_STATUSES = frozenset({CourseStatus.REQUESTED, CourseStatus.APPROVED, CourseStatus.ACTIVE})


class BookingKind(enum.StrEnum):
    """What a booking is for."""

    INTRO = "intro"
    GROUP = "group"
    CLOSING = "closing"


class BookingStatus(enum.StrEnum):
    """Where a booking stands."""

    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


# The order of a pathway's bookings within one minute.
_PATHWAY_ORDER = {BookingKind.INTRO: 0, BookingKind.GROUP: 1, BookingKind.CLOSING: 2}


class Course(Base):
    """A citizen's pathway at one centre.

    Nothing here identifies a person: the token is kept only as a keyed digest
    (``crypto.Keyring``), the reference is random, and the only citizen input
    is the home municipality and the language.
    """

    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = uuid_pk()
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    # 32 bytes of HMAC, or 48 once wrapped under a newer key (crypto.Keyring.wrap).
    token_digest: Mapped[bytes] = mapped_column(LargeBinary(48), unique=True)
    token_key_version: Mapped[int] = mapped_column(SmallInteger)
    # The key of the digest inside a wrapped one; None for a plain digest.
    token_inner_version: Mapped[int | None] = mapped_column(SmallInteger)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centres.id"), index=True)
    home_municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="da")
    status: Mapped[CourseStatus] = mapped_column(enum_column(CourseStatus), index=True)
    # The dates that measure waiting time (request -> intro -> decision -> group).
    requested_at: Mapped[datetime] = mapped_column(MinuteDateTime())
    intro_at: Mapped[datetime | None] = mapped_column(MinuteDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(MinuteDateTime())
    started_at: Mapped[datetime | None] = mapped_column(MinuteDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(MinuteDateTime())

    bookings: Mapped[list[Booking]] = relationship(
        back_populates="course",
        cascade="all, delete-orphan",
        passive_deletes=True,
        # Times are kept to the minute, so bookings made in one minute are
        # put in the pathway's order, a cancelled one before its successor.
        order_by=lambda: [
            Booking.created_at,
            case(_PATHWAY_ORDER, value=Booking.kind),
            Booking.cancelled_at.is_(None),
        ],
    )
    # A new course is given the centre its rule has just read: a session keeps
    # only the objects something refers to, and the answer then finds the
    # centre there instead of asking the database again.
    centre: Mapped[Centre] = relationship()


# A booking that holds its slot or place; cancelled ones are history.
_HOLDS = "status IN ('booked', 'attended', 'no_show')"


class Booking(Base):
    """A course's intro talk, group place (or waitlist entry) or closing talk."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'group' AND group_id IS NOT NULL AND slot_id IS NULL)"
            " OR (kind <> 'group' AND slot_id IS NOT NULL AND group_id IS NULL)",
            name="target_matches_kind",
        ),
        CheckConstraint(
            "(status = 'waitlisted') = (queue_no IS NOT NULL)", name="queue_only_when_waiting"
        ),
        # Backstop for rule 2: a slot is never booked twice.
        Index(
            "uq_bookings_slot_held",
            "slot_id",
            unique=True,
            sqlite_where=text(_HOLDS),
            postgresql_where=text(_HOLDS),
        ),
        # One live booking of each kind per course: one intro, one group place
        # or waitlist entry, one closing talk.
        Index(
            "uq_bookings_course_kind_live",
            "course_id",
            "kind",
            unique=True,
            sqlite_where=text("status IN ('booked', 'waitlisted')"),
            postgresql_where=text("status IN ('booked', 'waitlisted')"),
        ),
        Index("ix_bookings_group_status_queue", "group_id", "status", "queue_no"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Indexed whatever the status: a course's bookings are read on every
    # request of its code and deleted with it, and a slot's are read before
    # it is removed. The partial unique indexes serve only their statuses,
    # and a prepared statement's generic plan not even those
    # (tests/integration/test_query_plans.py).
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[BookingKind] = mapped_column(enum_column(BookingKind))
    slot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("slots.id"), index=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id"))
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus))
    queue_no: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(MinuteDateTime())
    # When a group place was granted (directly or from the waitlist): a
    # cancelled booking with this set means the citizen left the group.
    placed_at: Mapped[datetime | None] = mapped_column(MinuteDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(MinuteDateTime())
    # The calendar's SEQUENCE (RFC 5545 3.8.7.4) of the booking's events: one
    # more than the course's earlier booking of the same kind (a moved talk
    # is that booking cancelled and a new one made), and raised on cancelling.
    sequence: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Set when a place was granted from the waitlist, cleared once the citizen
    # has been told (SPEC rule 4: there is no channel but their own page).
    place_news: Mapped[bool] = mapped_column(default=False, server_default=false())

    course: Mapped[Course] = relationship(back_populates="bookings")
    # Likewise the slot that the booking rule has just locked.
    slot: Mapped[Slot | None] = relationship()


class Attendance(Base):
    """Whether a group member came to one session."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("booking_id", "session_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("group_sessions.id", ondelete="CASCADE"), index=True
    )
    present: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(MinuteDateTime())
