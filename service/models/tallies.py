"""Aggregate counts that outlive the courses they count (SPEC P5, P6).

Each row is a monthly count for a home municipality and a centre; nothing
in it points at a course, a booking or a token, so purging or erasing a
course leaves the statistics intact and linked to nobody.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, false
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
    # requested, intro_held, approved, referred, started, completed, dropped, cancelled, erased
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


class SuppressionMarks(Base):
    """Which cells a year's suppression pattern hid, kept so a year is decided only once.

    Keyed by the fingerprint of everything the pattern depends on (the
    year's tallies, where the centres are, the months decided), so a row
    can never be applied to other data. The counts are not here: they come
    from the tallies again. A pattern of a whole year (``final``) is kept
    for good; one of a year still running is replaced as months end, and
    the purge deletes it once it is old.
    """

    __tablename__ = "suppression_marks"

    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    year: Mapped[str] = mapped_column(String(4))
    final: Mapped[bool]
    computed_at: Mapped[datetime]
    # zlib-compressed JSON: {"hidden": [[home, centre, column], ...], "widened": [...], ...}
    body: Mapped[bytes] = mapped_column(LargeBinary)


class StatsAnswer(Base):
    """A published statistics answer, encoded, shared by every process of the service.

    Keyed by a SHA-256 digest of the key's reach, the query, the horizon and
    the stamp of the data it was computed from (``service.stats.stamps.stamp``),
    so a row is found again only for exactly that question on exactly that
    data. Only what the API publishes, suppressed, is here. The purge deletes
    the answers of horizons that have passed.
    """

    __tablename__ = "stats_answers"
    __table_args__ = (Index("ix_stats_answers_reach_computed_at", "reach", "computed_at"),)

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    horizon: Mapped[str] = mapped_column(String(7), index=True)
    computed_at: Mapped[datetime]
    # zlib-compressed, as the API sends it (JSON or CSV).
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # Whose answer it is ("<municipality>/<centre>", "/" for the country), and
    # whether a request asked for it (True) or the purge prepared it (False):
    # a reach keeps at most ``answers.ASKED_PER_REACH`` asked answers, while
    # the prepared ones are bounded by the views, periods and encodings.
    reach: Mapped[str] = mapped_column(String(48), server_default="")
    asked: Mapped[bool] = mapped_column(server_default=false())


class StatsPart(Base):
    """One year's columns of a view within a reach, suppressed, kept to build any range from.

    Keyed by a SHA-256 digest of the reach, the view, the period, the year,
    the last month counted in it (``through``), the stamp of that year's
    data (``service.stats.stamps``) and where the centres are. A report
    over several years joins their parts, so a range of its own costs a few
    reads once each year's part is kept. A year that is over (``final``,
    counted through December) never changes and its part is kept for good;
    the running year's is replaced as months end, and the purge deletes it
    once another month is over.
    """

    __tablename__ = "stats_parts"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    through: Mapped[str] = mapped_column(String(7), index=True)
    final: Mapped[bool]
    computed_at: Mapped[datetime]
    # zlib-compressed JSON: {"counts": {metric: {row: {column: cell}}}, "waiting_days": ...}
    body: Mapped[bytes] = mapped_column(LargeBinary)


class StatsMonth(Base):
    """How many tallies a month holds, and their total: its stamp, counted once it is still.

    A count is only ever added to the month it happens in, so a month before
    the horizon's, over for a month and more, does not change. The purge
    counts every such month into this table, and a report's stamp reads it
    here instead of reading the month's rows on every request
    (``service.stats.stamps``). Should a month's rows change all the same (a
    restore, an import), the next purge counts them again, and the new stamp
    names new parts and answers.
    """

    __tablename__ = "stats_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    tallies: Mapped[int]
    tallies_total: Mapped[int] = mapped_column(BigInteger)
    waits: Mapped[int]
    waits_total: Mapped[int] = mapped_column(BigInteger)
    counted_at: Mapped[datetime]
