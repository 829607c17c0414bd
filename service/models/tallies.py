"""Aggregate counts that outlive the courses they count (SPEC P5, P6).

Each row is a monthly count for a home municipality and a centre; nothing
in it points at a course, a booking or a token, so purging or erasing a
course leaves the statistics intact and linked to nobody.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class Tally(Base):
    """How many times something happened in a month, per home municipality and centre."""

    __tablename__ = "tallies"
    __table_args__ = (CheckConstraint("count >= 0", name="not_negative"),)

    # Copenhagen calendar month, "YYYY-MM".
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    home_municipality: Mapped[str] = mapped_column(
        ForeignKey("municipalities.code"), primary_key=True
    )
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centres.id"), primary_key=True)
    # requested, intro_held, approved, referred, started, completed, dropped, cancelled,
    # never_came, erased (service.booking.tally.METRICS)
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class WaitTally(Base):
    """A histogram of waiting times in whole days, per month, home municipality and centre."""

    __tablename__ = "wait_tallies"
    __table_args__ = (
        CheckConstraint("count >= 0", name="not_negative"),
        CheckConstraint("days >= 0", name="days_not_negative"),
    )

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    home_municipality: Mapped[str] = mapped_column(
        ForeignKey("municipalities.code"), primary_key=True
    )
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centres.id"), primary_key=True)
    # request_to_intro, approval_to_group
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class StatsPublished(Base):
    """One year's columns of a statistics view within a reach, as published: suppressed.

    Written only by the daily purge (``service.stats.store``), once: a row is
    never updated. It holds the months of its year from January through
    ``through``, which are over and so never change; the running year gets a
    new row each time another month is over, and the purge then deletes the
    row it replaces. ``places`` is a digest of where every centre is, which
    the suppression and the rows by flow depend on: a centre added or moved
    names new rows, and the purge deletes those of other places.
    """

    __tablename__ = "stats_published"

    # "<municipality>/<centre>" of the reach, "/" for the country.
    reach: Mapped[str] = mapped_column(String(48), primary_key=True)
    view: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[str] = mapped_column(String(4), primary_key=True)
    through: Mapped[str] = mapped_column(String(7), primary_key=True)
    places: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    published_at: Mapped[datetime]
    # zlib-compressed: the JSON of {metric: {row: {column: cell}}}, a newline,
    # the JSON of {measure: {row: {column: {"median", "p90"} or null}}}.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # zlib-compressed: the SHA-256 digest of the row labels in hex, a newline, the CSV.
    csv: Mapped[bytes] = mapped_column(LargeBinary)
