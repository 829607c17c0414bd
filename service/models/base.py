"""The declarative base, shared column types and the constraint naming convention."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Dialect, Enum, MetaData, Table, TypeDecorator, Uuid
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints make migrations reviewable and let errors name the rule
# that was broken (Alembic's recommended convention).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# INSERT with ON CONFLICT, which each database spells in its own dialect, by
# dialect name: statements built with it once are picked by the session's
# dialect at each call.
InsertOf = Callable[[Table], postgresql.Insert | sqlite.Insert]
INSERTS: dict[str, InsertOf] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    marked UTC on the way out; naive datetimes are refused outright.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store the UTC instant."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class MinuteDateTime(UTCDateTime):
    """A UTC timestamp kept to the minute: when a citizen did something, and no finer.

    A time to the microsecond would tie a row to one line of any log of that
    moment (a proxy's, a workplace's); waiting-time statistics count days.
    """

    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store the UTC instant, seconds and below set to zero."""
        stored = super().process_bind_param(value, dialect)
        return None if stored is None else stored.replace(second=0, microsecond=0)


def enum_column(kind: type[enum.Enum]) -> Enum:
    """Store an enum as its value in a VARCHAR with a CHECK, the same on every database."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        length=max(len(member.value) for member in kind),
        name=kind.__name__.lower(),
    )


class Base(DeclarativeBase):
    """The base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


def uuid_pk() -> Mapped[uuid.UUID]:
    """Return a random UUID primary key: ids in URLs must not be guessable or countable."""
    return mapped_column(primary_key=True, default=uuid.uuid4)
