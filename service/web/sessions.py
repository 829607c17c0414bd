"""Signing a citizen in and out: a random handle in a signed cookie, its digest in the database.

The cookie holds only the handle, never the token or the course; the row
lets the service end a session at once (log out, erase) and caps it at
12 hours, while the signed cookie lapses after 30 idle minutes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import abort, current_app, flash, g, redirect, url_for
from flask import session as cookie
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import crypto
from service.booking.retention import CODE_KEPT
from service.models import Course, WebSession
from service.web.common import keyring

PURPOSE = "web-session"
CODE_PURPOSE = "web-session-code"
LONGEST = timedelta(hours=12)
_HANDLE = "handle"


def sign_in(session: Session, course: Course, *, now: datetime, code: str | None = None) -> None:
    """Start a fresh session for a course, replacing whatever the browser held.

    A ``code`` just shown is kept sealed for ``CODE_KEPT`` so that this
    browser, and no other, can download it as a text file.
    """
    session.execute(delete(WebSession).where(WebSession.created_at < now - LONGEST))
    handle = secrets.token_urlsafe(32)
    ring = keyring()
    digest = ring.digest(handle, purpose=PURPOSE)
    sealed = None
    if code is not None:
        key = ring.derive_key(handle, purpose=CODE_PURPOSE, version=digest.version)
        sealed = crypto.seal(key, code.encode(), context=digest.value)
    session.add(
        WebSession(
            handle_digest=digest.value,
            key_version=digest.version,
            course_id=course.id,
            created_at=now,
            sealed_code=sealed,
        )
    )
    # A new cookie at sign-in: nothing from before (a planted value) carries over.
    cookie.clear()
    # Flask-WTF caches this request's CSRF token in g; dropped with the old
    # cookie's secret, so that the page answering the sign-in gets a new pair.
    g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)
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


def signed_in_course_or_code_page(session: Session, *, now: datetime) -> Course:
    """Return the signed-in course, or send the browser to the code page with a notice."""
    course = signed_in_course(session, now=now)
    if course is None:
        flash(_("You are not signed in, or your session has ended. Type your code again."))
        abort(redirect(url_for("course.enter_code"), code=303))
    return course


def code_to_download(session: Session, *, now: datetime) -> str | None:
    """Return the code this browser's session was begun with, within ``CODE_KEPT`` only."""
    row = _row(session)
    handle = cookie.get(_HANDLE)
    if row is None or row.sealed_code is None or not isinstance(handle, str):
        return None
    if row.created_at < now - CODE_KEPT:
        return None  # and the next purge forgets it
    key = keyring().derive_key(handle, purpose=CODE_PURPOSE, version=row.key_version)
    return crypto.unseal(key, row.sealed_code, context=row.handle_digest).decode()


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
