"""Who may do what: API keys, the audit trail, and stored idempotent answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, MinuteDateTime, uuid_pk


class ApiKey(Base):
    """A service's key: stored as a keyed digest, bound to scopes and one centre or municipality."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("centre_id IS NULL OR municipality_code IS NULL", name="one_reach_at_most"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(80))
    # 32 bytes of HMAC, or 48 once wrapped under a newer key (crypto.Keyring.wrap).
    digest: Mapped[bytes] = mapped_column(LargeBinary(48), unique=True)
    key_version: Mapped[int] = mapped_column(SmallInteger)
    # The key of the digest inside a wrapped one; None for a plain digest.
    inner_version: Mapped[int | None] = mapped_column(SmallInteger)
    # Space-separated scope names, e.g. "centre:manage tokens:verify".
    scopes: Mapped[str] = mapped_column(String(200))
    centre_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("centres.id"))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    created_at: Mapped[datetime]
    # A day, not a time: enough to spot unused keys, too coarse to trace use.
    last_used_on: Mapped[date | None]
    revoked_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        """Return the key's scopes as a set."""
        return frozenset(self.scopes.split())


class AuditEvent(Base):
    """Who did what to which object, and when: never a token, never an address."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_centre_at", "centre_id", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[uuid.UUID | None]
    centre_id: Mapped[uuid.UUID | None]


class IdempotentAnswer(Base):
    """The first answer to a request sent with an ``Idempotency-Key``.

    The key is kept only as a keyed digest and the answer only sealed with a
    key derived from the client's own idempotency key, so the database alone
    can never reveal a token that the answer carried.
    """

    __tablename__ = "idempotent_answers"

    id: Mapped[uuid.UUID] = uuid_pk()
    key_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    key_version: Mapped[int] = mapped_column(SmallInteger)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)
    # When a client sent the request, to the minute (MinuteDateTime).
    created_at: Mapped[datetime] = mapped_column(MinuteDateTime(), index=True)
    # The course the answer belongs to, if any: erasing or purging the course
    # deletes the answer with it, so a retry never replays an erased code.
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
