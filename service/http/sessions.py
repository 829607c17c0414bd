"""Server-side sessions, one implementation for every purpose (the citizen's, the staff's).

A session is a random handle under the purpose's own key in the signed
session cookie (``__Host-session``: Secure, HttpOnly, SameSite=Strict) and
the handle's keyed digest in the purpose's table. The cookie lapses after 30
idle minutes, the row after 12 hours, and deleting the row (sign-out, erase,
a new password) ends the session at once.

Each purpose keeps its handle under a key of its own, so signing in or out
on one side leaves the other side's session alone. Signing in deletes the
row of the handle this browser held for the same purpose: a handle once
copied from the cookie must not outlive the next sign-in (OWASP ASVS 5.0
7.2.4); the CSRF secret is renewed too.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from flask import session as cookie
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.http import csrf
from service.http.keyring import keyring
from service.models import StaffSession, WebSession

LONGEST = timedelta(hours=12)

Row = TypeVar("Row", WebSession, StaffSession)


@dataclass(frozen=True)
class Purpose(Generic[Row]):
    """What one kind of session is: its digest purpose, cookie key, table and owner column."""

    name: str
    cookie_key: str
    model: type[Row]
    owner: str


CITIZEN = Purpose("web-session", "handle", WebSession, "course_id")
STAFF = Purpose("staff-session", "staff", StaffSession, "account_id")
PURPOSES: tuple[Purpose[WebSession] | Purpose[StaffSession], ...] = (CITIZEN, STAFF)


def handle(purpose: Purpose[Row]) -> str | None:
    """Return the handle this browser holds for the purpose, or None."""
    held = cookie.get(purpose.cookie_key)
    return held if isinstance(held, str) else None


def _digests(purpose: Purpose[Row]) -> list[bytes]:
    held = handle(purpose)
    if held is None:
        return []
    return [d.value for d in keyring().candidates(held, purpose=purpose.name)]


def begin(
    session: Session, purpose: Purpose[Row], owner_id: uuid.UUID, *, now: datetime
) -> tuple[str, Row]:
    """Start a new session for an owner under a new handle; return the handle and its row."""
    previous = _digests(purpose)
    if previous:
        session.execute(delete(purpose.model).where(purpose.model.handle_digest.in_(previous)))
    session.execute(delete(purpose.model).where(purpose.model.created_at < now - LONGEST))
    new = secrets.token_urlsafe(32)
    digest = keyring().digest(new, purpose=purpose.name)
    row = purpose.model(
        handle_digest=digest.value,
        key_version=digest.version,
        created_at=now,
        **{purpose.owner: owner_id},
    )
    session.add(row)
    csrf.rotate()
    cookie[purpose.cookie_key] = new
    cookie.permanent = True
    return new, row


def current_row(session: Session, purpose: Purpose[Row]) -> Row | None:
    """Return the row of this browser's handle for the purpose, live or not, or None."""
    digests = _digests(purpose)
    if not digests:
        return None
    return session.scalar(select(purpose.model).where(purpose.model.handle_digest.in_(digests)))


def live_row(session: Session, purpose: Purpose[Row], *, now: datetime) -> Row | None:
    """Return the row of this browser's live session, forgetting a handle that has none."""
    row = current_row(session, purpose)
    if row is None or row.created_at < now - LONGEST:
        cookie.pop(purpose.cookie_key, None)
        return None
    return row


def _forget(purpose: Purpose[Row]) -> None:
    cookie.pop(purpose.cookie_key, None)
    if not any(other.cookie_key in cookie for other in PURPOSES):
        # No session of any purpose is left: nothing of the cookie is kept.
        cookie.clear()


def end(session: Session, purpose: Purpose[Row]) -> None:
    """End this browser's session of the purpose on the server and in the cookie."""
    row = current_row(session, purpose)
    if row is not None:
        session.delete(row)
    _forget(purpose)


def end_every_session(session: Session, purpose: Purpose[Row], owner_id: uuid.UUID) -> None:
    """End every session of an owner, in every browser, and forget this browser's handle."""
    owner = getattr(purpose.model, purpose.owner)
    session.execute(delete(purpose.model).where(owner == owner_id))
    _forget(purpose)
