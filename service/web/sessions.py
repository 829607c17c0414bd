"""Signing a citizen in and out: a random handle in a signed cookie, its digest in the database.

The cookie holds only the handle, never the token or the course; the row
lets the service end a session at once (log out, erase) and caps it at
12 hours, while the signed cookie lapses after 30 idle minutes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import session as cookie
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.models import Course, WebSession
from service.web.common import keyring

PURPOSE = "web-session"
LONGEST = timedelta(hours=12)
_HANDLE = "handle"


def sign_in(session: Session, course: Course, *, now: datetime) -> None:
    """Start a fresh session for a course, replacing whatever the browser held."""
    session.execute(delete(WebSession).where(WebSession.created_at < now - LONGEST))
    handle = secrets.token_urlsafe(32)
    digest = keyring().digest(handle, purpose=PURPOSE)
    session.add(
        WebSession(
            handle_digest=digest.value,
            key_version=digest.version,
            course_id=course.id,
            created_at=now,
        )
    )
    # A new cookie at sign-in: nothing from before (a planted value) carries over.
    cookie.clear()
    cookie[_HANDLE] = handle
    cookie.permanent = True


def _row(session: Session) -> WebSession | None:
    handle = cookie.get(_HANDLE)
    if not isinstance(handle, str):
        return None
    digests = [d.value for d in keyring().candidates(handle, purpose=PURPOSE)]
    return session.scalar(select(WebSession).where(WebSession.handle_digest.in_(digests)))


def signed_in_course(session: Session, *, now: datetime) -> Course | None:
    """Return the course of the browser's session, or None when there is no live one."""
    row = _row(session)
    if row is None or row.created_at < now - LONGEST:
        cookie.pop(_HANDLE, None)
        return None
    return session.get(Course, row.course_id)


def sign_out(session: Session) -> None:
    """End the browser's session on the server and forget the cookie."""
    row = _row(session)
    if row is not None:
        session.delete(row)
    cookie.clear()


def end_every_session(session: Session, course_id: object) -> None:
    """End every session of a course (it is being erased)."""
    session.execute(delete(WebSession).where(WebSession.course_id == course_id))
    cookie.clear()
