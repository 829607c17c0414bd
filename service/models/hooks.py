"""Webhooks: services that follow courses without polling, and the queue that feeds them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, enum_column, uuid_pk


class Webhook(Base):
    """A receiver of course events within one centre's or municipality's reach."""

    __tablename__ = "webhooks"
    __table_args__ = (
        CheckConstraint("centre_id IS NULL OR municipality_code IS NULL", name="one_reach_at_most"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(500))
    # The signing secret, sealed under a key derived from the keyring: the
    # service must be able to sign with it, so it cannot be a one-way digest.
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[int] = mapped_column(SmallInteger)
    # Space-separated event names.
    events: Mapped[str] = mapped_column(String(200))
    centre_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("centres.id"))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DISABLED = "disabled"


class Delivery(Base):
    """One event on its way to one webhook, retried with backoff until it lands or gives up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    # The JSON body: the event name and ids, nothing else.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_status: Mapped[int | None]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    webhook: Mapped[Webhook] = relationship()
