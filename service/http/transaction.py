"""One transaction per write request, and ``Idempotency-Key`` replays (SPEC rule 7).

A write view runs inside ``@transactional``: the rules flush, this commits
once, and anything that goes wrong rolls everything back. A request sent
with an ``Idempotency-Key`` stores its successful answer in the same
transaction as its effect, so a retry returns that first answer and books
nothing twice. Failed requests store nothing and may simply be retried.

A caller without credentials has nothing but the key to tell its retry from
someone else's request, and its answer may hold a new code: the key must be
long enough to be a random secret (a UUID), and such answers are replayed
for ``IDEMPOTENCY_ANONYMOUS_MINUTES`` only.

When the database goes away (a restart, a failover) the request answers the
same retryable 503 ``busy`` as a lock that could not be had, never a 500: a
connection that breaks before COMMIT has written nothing, and the pool's
pre-ping replaces dead connections once the server is back. Only a
connection that breaks during COMMIT leaves the outcome unknown; the answer
says so, and a retry under the same ``Idempotency-Key`` tells which it was.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

import psycopg
from flask import Response, current_app, g, request
from sqlalchemy import delete, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

import crypto
from service import db
from service.core.clock import utcnow
from service.core.errors import Busy, DomainError, InvalidInput, SlotTaken
from service.http.credentials import canonical_bearer
from service.http.keyring import keyring
from service.models import IdempotentAnswer

View = TypeVar("View", bound=Callable[..., Any])

IDEMPOTENCY_PURPOSE = "idempotency"
_KEY_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")

# SQLSTATEs after which nothing was written and a retry may well succeed:
# lock_not_available, deadlock_detected, serialization_failure, query_canceled.
_RETRYABLE = {"55P03", "40P01", "40001", "57014"}
# SQLSTATEs of a server that is going away or not yet back: admin_shutdown,
# crash_shutdown, cannot_connect_now, too_many_connections; and class 08,
# connection_exception. PostgreSQL manual, appendix A "Error Codes".
_UNREACHABLE = {"57P01", "57P02", "57P03", "53300"}
_UNREACHABLE_CLASS = "08"

_OUTCOME_UNKNOWN = (
    "The connection to the database broke while saving, so this may or may not have been "
    "saved. Send the request again with the same Idempotency-Key: if it was saved, you get "
    "its answer; if not, it is done now."
)

# The database's own backstops, each mapped to the rule it protects.
_BACKSTOPS: dict[str, type[DomainError]] = {
    "uq_bookings_slot_held": SlotTaken,
    "ck_groups_within_capacity": Busy,
    "uq_bookings_course_kind_live": Busy,
}


class IdempotencyKeyInvalid(InvalidInput):
    """The Idempotency-Key header is not 32-128 characters of A-Z, a-z, 0-9, - and _."""

    code = "idempotency_key_invalid"
    message = "Idempotency-Key must be 32 to 128 letters, digits, '-' or '_' (a UUID will do)."


class IdempotencyKeyReused(InvalidInput):
    """The key was used before with a different request."""

    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."


def _lost_connection(error: DBAPIError) -> bool:
    """Tell whether the database could not be reached or the connection broke."""
    state: str | None = getattr(error.orig, "sqlstate", None)
    if error.connection_invalidated or state in _UNREACHABLE:
        return True
    if state is not None:
        return state.startswith(_UNREACHABLE_CLASS)
    # psycopg gives no SQLSTATE when no server answered at all: connection
    # refused, or the server closed the connection unexpectedly.
    return isinstance(error.orig, psycopg.OperationalError)


def _as_domain_error(error: DBAPIError) -> DomainError | None:
    original = error.orig
    state = getattr(original, "sqlstate", None)
    if state in _RETRYABLE or "database is locked" in str(original) or _lost_connection(error):
        return Busy()
    if isinstance(error, IntegrityError):
        message = str(original)
        for name, rule in _BACKSTOPS.items():
            if name in message:
                return rule()
    return None


def _run(session: Session, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    committing = False
    try:
        response: Response = current_app.make_response(view(*args, **kwargs))
        if response.status_code < 400:
            committing = True
            session.commit()
        else:
            session.rollback()
        return response
    except DBAPIError as error:
        session.rollback()
        if committing and _lost_connection(error):
            raise Busy(_OUTCOME_UNKNOWN) from None
        mapped = _as_domain_error(error)
        if mapped is None:
            raise
        raise mapped from None
    except BaseException:
        session.rollback()
        raise


def _fingerprint(ring: crypto.Keyring) -> bytes:
    request_line = f"{request.method} {request.path}\n".encode()
    return ring.digest(request_line + request.get_data(), purpose="idempotency-request").value


def _kept_for(anonymous: bool) -> timedelta:
    if anonymous:
        return timedelta(minutes=current_app.config["IDEMPOTENCY_ANONYMOUS_MINUTES"])
    return timedelta(hours=current_app.config["IDEMPOTENCY_HOURS"])


def _replay(
    session: Session, ring: crypto.Keyring, key: str, principal: str, *, anonymous: bool
) -> Response | None:
    digests = [
        d.value for d in ring.candidates(principal + "\n" + key, purpose=IDEMPOTENCY_PURPOSE)
    ]
    stored = session.scalar(
        select(IdempotentAnswer).where(IdempotentAnswer.key_digest.in_(digests))
    )
    if stored is None or stored.created_at < utcnow() - _kept_for(anonymous):
        return None
    if not crypto.constant_time_equal(stored.fingerprint, _fingerprint(ring)):
        raise IdempotencyKeyReused()
    sealing_key = ring.derive_key(key, purpose=IDEMPOTENCY_PURPOSE, version=stored.key_version)
    body = crypto.unseal(sealing_key, stored.sealed_body, context=stored.key_digest)
    response = Response(body, status=stored.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def answer_belongs_to(course_id: uuid.UUID) -> None:
    """Tie this request's stored answer to a course, so erasing the course deletes the answer."""
    g.answer_course_id = course_id


def _course_of_answer() -> uuid.UUID | None:
    course_id: uuid.UUID | None = g.get("answer_course_id")
    if course_id is None and "course" in g:
        # A citizen's own request (``requires_token``); an erased course has
        # nothing left to be tied to.
        course_id = None if inspect(g.course).was_deleted else g.course.id
    return course_id


def _store(
    session: Session, ring: crypto.Keyring, key: str, principal: str, response: Response
) -> None:
    digest = ring.digest(principal + "\n" + key, purpose=IDEMPOTENCY_PURPOSE)
    sealing_key = ring.derive_key(key, purpose=IDEMPOTENCY_PURPOSE, version=digest.version)
    # An expired answer under the same key makes way for the new one.
    session.execute(delete(IdempotentAnswer).where(IdempotentAnswer.key_digest == digest.value))
    session.add(
        IdempotentAnswer(
            key_digest=digest.value,
            key_version=digest.version,
            fingerprint=_fingerprint(ring),
            status_code=response.status_code,
            sealed_body=crypto.seal(sealing_key, response.get_data(), context=digest.value),
            created_at=utcnow(),
            course_id=_course_of_answer(),
        )
    )


def _serialise_same_key(session: Session, ring: crypto.Keyring, key: str, principal: str) -> None:
    # Two concurrent retries with one key wait for each other here, so the
    # second finds the first one's answer instead of racing it. SQLite
    # transactions are already serial (BEGIN IMMEDIATE).
    if session.get_bind().dialect.name == "postgresql":
        digest = ring.digest(principal + "\n" + key, purpose=IDEMPOTENCY_PURPOSE).value
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def transactional(view: View) -> View:
    """Run a write view in one transaction, honouring an ``Idempotency-Key`` header."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        session = db.session()
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return _run(session, view, *args, **kwargs)
        if not _KEY_SHAPE.match(key):
            raise IdempotencyKeyInvalid(field="Idempotency-Key")
        ring = keyring()
        # Answers are kept per caller: one citizen's key never replays another's
        # answer, and every spelling of one code is the same caller.
        credentials = canonical_bearer()
        principal = ring.digest(credentials, purpose="idempotency-principal").value.hex()
        try:
            _serialise_same_key(session, ring, key, principal)
            replayed = _replay(session, ring, key, principal, anonymous=not credentials)
        except DBAPIError as error:
            session.rollback()
            raise (_as_domain_error(error) or error) from None
        if replayed is not None:
            session.rollback()
            return replayed

        def remembered(*a: Any, **kw: Any) -> Response:
            response: Response = current_app.make_response(view(*a, **kw))
            if response.status_code < 300:
                _store(session, ring, key, principal, response)
            return response

        return _run(session, remembered, *args, **kwargs)

    return cast(View, wrapper)
