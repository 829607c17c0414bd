"""What happens next, as the citizen's pages say it: the course's outlook, in words and times.

``_next_steps.html`` renders it on the course page and, right after a
booking, on the code page; both find the signed-in course the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import format_datetime, format_time, ngettext
from flask_babel import gettext as _

from service import db
from service.booking import outlook as outlooks
from service.booking.steps import next_steps
from service.core.clock import utcnow
from service.models import Course
from service.web import sessions


def weekday(instant: datetime) -> str:
    """Return the weekday of an instant in Copenhagen, in the page's language ("tirsdag")."""
    return str(format_datetime(instant, "EEEE"))


def clock(instant: datetime) -> str:
    """Return the time of day of an instant in Copenhagen ("17:00")."""
    return str(format_time(instant, "HH:mm"))


def duration(minutes: int) -> str:
    """Return a length of time in hours and minutes ("2 hours 30 minutes")."""
    hours, rest = divmod(minutes, 60)
    parts: list[str] = []
    if hours:
        parts.append(ngettext("%(num)s hour", "%(num)s hours", hours))
    if rest or not hours:
        parts.append(ngettext("%(num)s minute", "%(num)s minutes", rest))
    return (
        _("%(hours)s and %(minutes)s", hours=parts[0], minutes=parts[1])
        if len(parts) == 2
        else parts[0]
    )


def outlook_of(course: Course) -> outlooks.Outlook:
    """Return what lies ahead for a course now."""
    session, now = db.session(), utcnow()
    return outlooks.outlook(session, course, next_steps(session, course, now=now), now=now)


def _signed_in_outlook() -> dict[str, Any] | None:
    course = sessions.signed_in_course(db.session(), now=utcnow())
    if course is None:
        return None
    return {"course": course, "ahead": outlook_of(course)}


def init_app(app: Flask) -> None:
    """Give the templates what ``_next_steps.html`` needs."""
    app.context_processor(
        lambda: {
            "what_next": _signed_in_outlook,
            "weekday": weekday,
            "clock": clock,
            "duration": duration,
        }
    )
