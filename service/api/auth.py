"""Who is calling: a citizen's token or a service's API key, from ``Authorization: Bearer``.

Neither ever appears in a URL, a log line or an error message (SPEC P2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, g, request
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service import db
from service.booking.pathway import course_for_token, needs_rekey, refresh_token_digest
from service.core.clock import local_today, utcnow
from service.core.errors import DomainError, TokenRejected
from service.db import SAFE_METHODS
from service.http.credentials import bearer_credential
from service.http.keyring import keyring
from service.identity import keys
from service.identity.actors import Actor
from service.models import ApiKey, Course

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


def bearer() -> str:
    """Return the bearer credential of the request, or refuse the request."""
    credential = bearer_credential()
    if credential is None:
        raise MissingCredentials()
    return credential


def citizen_course() -> Course:
    """Return the course of the citizen's token; on a read, with what its answer shows."""
    shown = request.method in SAFE_METHODS
    return course_for_token(db.session(), keyring(), bearer(), shown=shown)


def api_actor(scope: str) -> Actor:
    """Return the actor of a valid, unrevoked API key that carries the scope."""
    credential = bearer()
    ring = keyring()
    key = keys.find(db.session(), ring, credential)
    if key is None:
        raise TokenRejected()
    _note_use(ring, key, credential)
    if scope not in key.scope_set:
        raise ScopeMissing(scope=scope)
    return Actor(
        kind="api_key",
        id=key.id,
        scopes=key.scope_set,
        centre_id=key.centre_id,
        municipality_code=key.municipality_code,
    )


def _note_use(ring: crypto.Keyring, key: ApiKey, credential: str) -> None:
    # A write request carries the stamp in its own transaction; a read
    # request, which must stay read-only, commits it in a short one of its own.
    today = local_today(utcnow())
    if request.method not in SAFE_METHODS:
        keys.note_use(db.session(), ring, key, credential, today=today)
        return
    factory: sessionmaker[Session] = current_app.extensions[db.EXTENSION]
    with factory() as own:
        if keys.note_use(own, ring, key, credential, today=today):
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

    A digest made under an older key, or wrapped, is re-keyed under the
    current one: on a write inside the view's transaction, on a read in a
    short transaction of its own, so old keys can be retired.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.course = citizen_course()
        if request.method not in SAFE_METHODS:
            refresh_token_digest(db.session(), g.course, keyring(), bearer())
        elif needs_rekey(g.course, keyring()):
            factory: sessionmaker[Session] = current_app.extensions[db.EXTENSION]
            with factory() as own:
                refresh_token_digest(own, g.course, keyring(), bearer())
                own.commit()
        return view(*args, **kwargs)

    return cast(View, wrapper)


def current_course() -> Course:
    """Return the course that ``requires_token`` resolved for this request."""
    course: Course = g.course
    return course
