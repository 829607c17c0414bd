"""Signing a citizen in and out: ``service.http.sessions`` for the citizen's purpose.

The cookie holds only the handle, never the token or the course. Right
after a booking, the code just shown is kept sealed under a key derived
from the handle, so that this browser, and no other, can download it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

import crypto
from service.booking.retention import CODE_KEPT
from service.http import sessions
from service.http.keyring import keyring
from service.models import Course

CODE_PURPOSE = "web-session-code"
CITIZEN = sessions.CITIZEN


def sign_in(session: Session, course: Course, *, now: datetime, code: str | None = None) -> None:
    """Start a fresh citizen session for a course, ending the one this browser held before.

    A ``code`` just shown is kept sealed for ``CODE_KEPT`` so that this
    browser, and no other, can download it as a text file.
    """
    handle, row = sessions.begin(session, CITIZEN, course.id, now=now)
    if code is not None:
        key = keyring().derive_key(handle, purpose=CODE_PURPOSE, version=row.key_version)
        row.sealed_code = crypto.seal(key, code.encode(), context=row.handle_digest)


def signed_in_course(session: Session, *, now: datetime) -> Course | None:
    """Return the course of the browser's session, or None when there is no live one."""
    row = sessions.live_row(session, CITIZEN, now=now)
    return None if row is None else session.get(Course, row.course_id)


def signed_in_course_or_code_page(session: Session, *, now: datetime) -> Course:
    """Return the signed-in course, or send the browser to the code page with a notice."""
    course = signed_in_course(session, now=now)
    if course is None:
        flash(_("You are not signed in, or your session has ended. Type your code again."))
        abort(redirect(url_for("course.enter_code"), code=303))
    return course


def code_to_download(session: Session, *, now: datetime) -> str | None:
    """Return the code this browser's session was begun with, within ``CODE_KEPT`` only."""
    row = sessions.current_row(session, CITIZEN)
    handle = sessions.handle(CITIZEN)
    if row is None or row.sealed_code is None or handle is None:
        return None
    if row.created_at < now - CODE_KEPT:
        return None  # and the next purge forgets it
    key = keyring().derive_key(handle, purpose=CODE_PURPOSE, version=row.key_version)
    return crypto.unseal(key, row.sealed_code, context=row.handle_digest).decode()


def sign_out(session: Session) -> None:
    """End the browser's citizen session on the server and forget its handle."""
    sessions.end(session, CITIZEN)


def end_every_session(session: Session, course_id: uuid.UUID) -> None:
    """End every session of a course (it is being erased)."""
    sessions.end_every_session(session, CITIZEN, course_id)
