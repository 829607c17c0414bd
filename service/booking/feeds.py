"""A course's private calendar feed: made on request, found by its secret, revoked at will.

The secret is 256 random bits in the feed's URL, never the course's code.
It is stored only as a keyed digest (``crypto.Keyring``, its own purpose),
like the code, so a copy of the database opens no feed. A course has at
most one feed; making a new one ends the old. Revoking it, a new code from
staff (``pathway.replace_token``) and erasure (the row goes with the
course) end it.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import crypto
from service.core import errors
from service.models import CalendarFeed, Course

PURPOSE = "calendar-feed"
SECRET_BYTES = 32


def create(session: Session, keyring: crypto.Keyring, course: Course, *, now: datetime) -> str:
    """Make the course's feed, ending any earlier one, and return its secret (shown once)."""
    end(session, course.id)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    digest = keyring.digest(secret, purpose=PURPOSE)
    session.add(
        CalendarFeed(
            course_id=course.id,
            secret_digest=digest.value,
            key_version=digest.version,
            created_at=now,
        )
    )
    session.flush()
    return secret


def end(session: Session, course_id: uuid.UUID) -> None:
    """End the course's feed, if it has one: its URL then finds nothing."""
    session.execute(delete(CalendarFeed).where(CalendarFeed.course_id == course_id))


def created_at(session: Session, course_id: uuid.UUID) -> datetime | None:
    """Return when the course's feed was made, or None when it has none."""
    found: datetime | None = session.scalar(
        select(CalendarFeed.created_at).where(CalendarFeed.course_id == course_id)
    )
    return found


def course_for_secret(session: Session, keyring: crypto.Keyring, secret: str) -> Course:
    """Return the course whose feed has this secret; an unknown or ended one is NotFound."""
    digests = [d.value for d in keyring.candidates(secret, purpose=PURPOSE)]
    course = session.scalar(
        select(Course)
        .join(CalendarFeed, CalendarFeed.course_id == Course.id)
        .where(CalendarFeed.secret_digest.in_(digests))
    )
    if course is None:
        raise errors.NotFound("No such calendar.")
    return course
