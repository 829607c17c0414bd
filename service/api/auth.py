"""Who is calling: a citizen's token or a service's API key, from ``Authorization: Bearer``.

Neither ever appears in a URL, a log line or an error message (SPEC P2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, g, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service import db
from service.booking import keys
from service.booking.actors import Actor
from service.booking.clock import local_today, utcnow
from service.booking.errors import DomainError, TokenRejected
from service.booking.pathway import course_for_token, refresh_token_digest
from service.credentials import bearer_credential
from service.db import SAFE_METHODS
from service.models import ApiKey, Course

API_KEY_PURPOSE = keys.PURPOSE

View = TypeVar("View", bound=Callable[..., Any])


class MissingCredentials(DomainError):
    """No bearer credential was sent."""

    code = "credentials_required"
    kind = "unauthorized"
    message = "This needs an Authorization: Bearer header."


class ScopeMissing(DomainError):
    """The key is valid but lacks the scope this route needs."""

    code = "scope_missing"
    kind = "forbidden"
    message = "The key does not have the scope this needs."


def keyring() -> crypto.Keyring:
    """Return the app's keyring of versioned digest keys."""
    ring: crypto.Keyring = current_app.extensions["diskret.keyring"]
    return ring


def bearer() -> str:
    """Return the bearer credential of the request, or refuse the request."""
    credential = bearer_credential()
    if credential is None:
        raise MissingCredentials()
    return credential


def citizen_course() -> Course:
    """Return the course of the citizen's token."""
    return course_for_token(db.session(), keyring(), bearer())


def api_actor(scope: str) -> Actor:
    """Return the actor of a valid, unrevoked API key that carries the scope."""
    credential = bearer()
    if not crypto.is_api_key_shaped(credential):
        raise TokenRejected()
    digests = [d.value for d in keyring().candidates(credential, purpose=API_KEY_PURPOSE)]
    key = db.session().scalar(select(ApiKey).where(ApiKey.digest.in_(digests)))
    if key is None or key.revoked_at is not None:
        raise TokenRejected()
    if scope not in key.scope_set:
        raise ScopeMissing(scope=scope)
    _note_use(key)
    return Actor(
        kind="api_key",
        id=key.id,
        scopes=key.scope_set,
        centre_id=key.centre_id,
        municipality_code=key.municipality_code,
    )


def _note_use(key: ApiKey) -> None:
    # The day of last use, written at most once a day per key. A write request
    # carries it in its own transaction; a read request, which must stay
    # read-only, writes it in a short transaction of its own.
    today = local_today(utcnow())
    if key.last_used_on == today:
        return
    if request.method not in SAFE_METHODS:
        key.last_used_on = today
        return
    factory: sessionmaker[Session] = current_app.extensions[db.EXTENSION]
    with factory() as own:
        own.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_on=today))
        own.commit()


def requires_scope(scope: str) -> Callable[[View], View]:
    """Authenticate the API key before anything else, so a stranger learns nothing of the body."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.actor = api_actor(scope)
            return view(*args, **kwargs)

        # Kept on the view (functools.wraps carries it outwards) for the access tests.
        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return cast(View, wrapper)

    return decorate


def current_actor() -> Actor:
    """Return the actor that ``requires_scope`` authenticated for this request."""
    actor: Actor = g.actor
    return actor


def requires_token(view: View) -> View:
    """Resolve the citizen's token before anything else and keep its course for the view.

    On a write, a digest made under an older key is re-keyed under the current
    one, inside the view's transaction, so old keys can be retired.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.course = citizen_course()
        if request.method not in SAFE_METHODS:
            refresh_token_digest(g.course, keyring(), bearer())
        return view(*args, **kwargs)

    return cast(View, wrapper)


def current_course() -> Course:
    """Return the course that ``requires_token`` resolved for this request."""
    course: Course = g.course
    return course
