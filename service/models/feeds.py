"""A citizen's private calendar feed: a revocable secret URL, kept only as a keyed digest."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, MinuteDateTime, uuid_pk


class CalendarFeed(Base):
    """The one feed of a course: the keyed digest of its secret and when it was made.

    The secret is shown once, in the feed's URL; like a course code it is
    kept only as a keyed digest under a versioned key (``crypto.Keyring``),
    so that a copy of the database opens no feed. Deleting the row (revoke,
    a new code, erasure, purge) ends the feed.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[uuid.UUID] = uuid_pk()
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )
    # 32 bytes of HMAC, or 48 once wrapped under a newer key (crypto.Keyring.wrap).
    secret_digest: Mapped[bytes] = mapped_column(LargeBinary(48), unique=True)
    key_version: Mapped[int] = mapped_column(SmallInteger)
    # The key of the digest inside a wrapped one; None for a plain digest.
    inner_version: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(MinuteDateTime())
