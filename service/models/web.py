"""Web sessions of citizens: a revocable handle that points at a course, nothing more."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, MinuteDateTime


class WebSession(Base):
    """A signed-in citizen's session: the keyed digest of its handle and the course it reaches.

    The browser holds the handle in a signed cookie that lapses after 30 idle
    minutes; this row lets the service end the session at once (log out,
    erase) and caps it at 12 hours. The token never reaches a cookie.
    """

    __tablename__ = "web_sessions"

    handle_digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    key_version: Mapped[int] = mapped_column(SmallInteger)
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(MinuteDateTime())
    # The code shown when the session began, sealed under a key derived from
    # the handle (which only the browser holds), for the text-file download.
    sealed_code: Mapped[bytes | None] = mapped_column(LargeBinary)
