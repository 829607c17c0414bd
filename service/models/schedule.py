"""What a centre offers: individual slots, and group courses with their sessions."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, enum_column, uuid_pk


class SlotKind(enum.StrEnum):
    """The two kinds of individual talk."""

    INTRO = "intro"
    CLOSING = "closing"


class Slot(Base):
    """An individual time at a centre that at most one course can book."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="positive_length"),
        Index("ix_slots_centre_kind_start", "centre_id", "kind", "starts_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centres.id"))
    kind: Mapped[SlotKind] = mapped_column(enum_column(SlotKind))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]


class Group(Base):
    """A centre's group course.

    ``places_taken`` is kept in step with the booked places by the booking
    rules, which recount them under a row lock; the CHECK constraint is the
    database's own backstop, so that no bug and no race can ever put more
    people in a group than its capacity.
    """

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="positive_capacity"),
        CheckConstraint("places_taken >= 0 AND places_taken <= capacity", name="within_capacity"),
        CheckConstraint("late_join_until > 0", name="late_join_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centres.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int]
    places_taken: Mapped[int] = mapped_column(default=0)
    intake_open: Mapped[bool] = mapped_column(default=True)
    # Joining is allowed until this session number has started.
    late_join_until: Mapped[int]
    # Hands out the FIFO waitlist numbers; only ever advanced under the group's lock.
    waitlist_counter: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]

    sessions: Mapped[list[GroupSession]] = relationship(
        back_populates="group",
        order_by="GroupSession.number",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class GroupSession(Base):
    """One meeting of a group, stored in UTC, planned in Copenhagen wall-clock time."""

    __tablename__ = "group_sessions"
    __table_args__ = (
        UniqueConstraint("group_id", "number"),
        CheckConstraint("ends_at > starts_at", name="positive_length"),
        CheckConstraint("number > 0", name="positive_number"),
        # The sessions still to come, out of years of past ones: which groups
        # can be joined, and a centre's day.
        Index("ix_group_sessions_starts_at", "starts_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    number: Mapped[int]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The calendar's SEQUENCE (RFC 5545 3.8.7.4) of this meeting's events,
    # raised whenever its time changes (``_raise_sequence_on_move``).
    sequence: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    group: Mapped[Group] = relationship(back_populates="sessions")


@event.listens_for(GroupSession, "before_update")
def _raise_sequence_on_move(_mapper: Any, _connection: Any, meeting: GroupSession) -> None:
    """Raise a meeting's sequence in the flush that changes its time, whichever rule moved it.

    A subscribed calendar takes a changed event only with a higher SEQUENCE.
    """
    state = inspect(meeting)
    if any(state.attrs[name].history.has_changes() for name in ("starts_at", "ends_at")):
        meeting.sequence += 1
