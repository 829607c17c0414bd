"""Marshmallow fields for Diskret's JSON: instants with an offset, shown in Copenhagen time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields

from service.core.clock import LOCAL


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant with an offset: dumped in Copenhagen time, loaded as aware UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(LOCAL).isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        if loaded.tzinfo is None:
            raise ValidationError("Give the time with its offset, e.g. 2026-03-24T17:00:00+01:00.")
        return loaded


class WallTime(fields.Time):
    """A wall-clock time of day, "HH:MM"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)
