"""Who is acting, and how far their reach goes (SPEC P9)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from service.core.errors import NotFound

ActorKind = Literal["api_key", "staff", "system"]


@dataclass(frozen=True)
class Actor:
    """A service or staff member acting through the API; the reach is one centre or municipality."""

    kind: ActorKind
    id: uuid.UUID | None
    scopes: frozenset[str] = field(default_factory=frozenset)
    centre_id: uuid.UUID | None = None
    municipality_code: str | None = None

    def reaches_course(self, centre_id: uuid.UUID, home_municipality: str) -> bool:
        """Tell whether a course lies within reach: at the actor's centre, or of its municipality.

        A municipality's reach is its own citizens, wherever they chose to be
        treated: the home municipality pays for the course (§ 101 a, stk. 2).
        """
        if self.centre_id is not None:
            return self.centre_id == centre_id
        if self.municipality_code is not None:
            return self.municipality_code == home_municipality
        return self.kind == "system"

    def require_centre(self, centre_id: uuid.UUID) -> None:
        """Refuse a centre outside a centre-bound actor's reach, as if it did not exist."""
        if self.centre_id is None or self.centre_id != centre_id:
            raise NotFound()


SYSTEM = Actor(kind="system", id=None)
