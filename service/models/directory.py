"""Who offers treatment to whom: municipalities, centres and their contracts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, uuid_pk


class Municipality(Base):
    """One of the 98 Danish municipalities; the region is data, since regions merge."""

    __tablename__ = "municipalities"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(80))


class Centre(Base):
    """A treatment provider's centre with its public, discreet address."""

    __tablename__ = "centres"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(120))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    # How to find the discreet entrance, written by staff for citizens, in Danish and English.
    entrance: Mapped[str] = mapped_column(Text, default="")
    entrance_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    opening_hours_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The centre's own switchboard number, in Danish national format ("33 12 34 56"), or "".
    # Public contact data of a provider, not a person's: shown in the citizen's help box.
    phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Languages spoken, as space-separated ISO 639-1 codes ("da en").
    languages: Mapped[str] = mapped_column(String(60), default="da")
    created_at: Mapped[datetime]
    # The first day the centre offers no new courses; its contracts end the day before.
    closed_from: Mapped[date | None]

    municipality: Mapped[Municipality] = relationship(lazy="joined")

    def entrance_in(self, language: str) -> str:
        """Return the entrance text in a language ("en" or Danish), falling back to Danish."""
        return (self.entrance_en if language == "en" else "") or self.entrance

    def opening_hours_in(self, language: str) -> str:
        """Return the opening hours in a language ("en" or Danish), falling back to Danish."""
        return (self.opening_hours_en if language == "en" else "") or self.opening_hours

    @property
    def phone_uri(self) -> str:
        """Return the ``tel:`` address that dials the centre's number from any phone."""
        return "tel:+45" + "".join(self.phone.split())

    def closed_on(self, day: date) -> bool:
        """Tell whether the centre is closed on a day."""
        return self.closed_from is not None and self.closed_from <= day


class Contract(Base):
    """A municipality's contract with a centre: its citizens may choose that centre."""

    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("municipality_code", "centre_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centres.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    centre: Mapped[Centre] = relationship(lazy="joined")
