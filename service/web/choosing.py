"""What the booking steps show about a place: its talk's length, its groups' days, its free days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from service.booking import catalogue
from service.booking.catalogue import GroupView
from service.models import Slot
from service.web.common import weekday

# A day as the day links write it; date.fromisoformat alone would also take "20261208".
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An en dash joins the two ends of a span of time, as Danish and English write it.
EN_DASH = "\u2013"


def span(start: str, end: str) -> str:
    """Return a span of time from its two written ends ("17:00", "19:30"), joined by an en dash."""
    return f"{start}{EN_DASH}{end}"


def minutes(slot: Slot) -> int:
    """Return how many minutes a talk takes."""
    return int((slot.ends_at - slot.starts_at).total_seconds() // 60)


@dataclass(frozen=True)
class GroupLine:
    """A group as a place's card describes it: when it meets, from when, and its free places."""

    name: str
    meets: str
    meetings: int
    next_meeting: datetime
    places_left: int


def group_lines(views: list[GroupView], *, now: datetime) -> list[GroupLine]:
    """Describe the groups a citizen could still join, in the page's language."""
    lines = []
    for view in views:
        coming = [s for s in view.group.sessions if s.starts_at > now]
        if not (view.joinable and coming):
            continue
        times = [
            _(
                "%(weekday)s %(span)s",
                weekday=weekday(each.weekday),
                span=span(f"{each.starts:%H:%M}", f"{each.ends:%H:%M}"),
            )
            for each in catalogue.meeting_times(view.group, now=now)
        ]
        lines.append(
            GroupLine(
                name=view.group.name,
                meets=", ".join(times),
                meetings=len(coming),
                next_meeting=min(s.starts_at for s in coming),
                places_left=view.places_left,
            )
        )
    return lines


def chosen_day(value: str | None) -> date | None:
    """Return the day a ``day`` parameter names (YYYY-MM-DD), None if it names none.

    Raises ValueError for anything else, so that the page can say so.
    """
    if not value:
        return None
    if not _ISO_DAY.fullmatch(value):
        raise ValueError("A day is written YYYY-MM-DD.")
    return date.fromisoformat(value)
