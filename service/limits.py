"""Rate limits keyed on a daily-rotating keyed hash of the client address (SPEC P3).

The raw address never reaches the limiter's storage: the key is an HMAC of
the address under a subkey that changes each day, so entries from one day
cannot be linked to the next, nor reversed without the server's key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, current_app, request
from flask_limiter import Limiter

import crypto
from service.booking.clock import local_today, utcnow

KEYRING = "diskret.keyring"
View = TypeVar("View", bound=Callable[..., Any])


def client_key() -> str:
    """Return today's keyed hash of the client address."""
    keyring: crypto.Keyring = current_app.extensions[KEYRING]
    address = request.remote_addr or "unknown"
    day = local_today(utcnow()).isoformat()
    return keyring.digest(address, purpose=f"client-address/{day}").value.hex()[:32]


# The default limit is read from the current app's configuration at each
# request, so every app in a process (tests make many) applies its own.
limiter = Limiter(
    key_func=client_key,
    headers_enabled=True,
    default_limits=[lambda: configured("RATELIMIT_DEFAULT")],
)


def token_key() -> str:
    """Key a limit on today's keyed digest of the token sent, never on the token itself.

    The token comes from the Authorization header (API) or the "code" field
    (web form); a malformed one is keyed as typed, so typos count too.
    """
    keyring: crypto.Keyring = current_app.extensions[KEYRING]
    header = request.headers.get("Authorization", "")
    sent = header[7:] if header.startswith("Bearer ") else request.form.get("code", "")
    try:
        canonical = crypto.normalize_token(sent)
    except crypto.InvalidTokenError:
        canonical = " ".join(sent.split()).upper()
    day = local_today(utcnow()).isoformat()
    return "token:" + keyring.digest(canonical, purpose=f"ratelimit-token/{day}").value.hex()[:32]


def fail_closed(view: View) -> View:
    """Answer 503 when the limiter's storage is down, where guessing is the threat.

    Everywhere else a storage failure lets the request through (the rest of
    the service stays up); token entry and staff sign-in must not go unlimited.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if limiter.enabled and not limiter.storage.check():
            abort(503)
        return view(*args, **kwargs)

    return cast(View, wrapper)


def token_entry(view: View) -> View:
    """Guard a route that takes a token: limited per client and per token, failing closed."""
    per_token = limiter.limit(lambda: configured("RATELIMIT_TOKEN_DIGEST"), key_func=token_key)
    per_client = limiter.limit(lambda: configured("RATELIMIT_TOKEN"))
    return cast(View, per_client(per_token(fail_closed(view))))


def configured(name: str) -> str:
    """Return a limit string from the configuration (limits are configuration, not code)."""
    value: str = current_app.config[name]
    return value


def _busy_retry_after(response: Response) -> Response:
    # A 503 means busy (a lock, every password slot, a dependency restarting),
    # as a page or as JSON: worth retrying in a second. With headers on,
    # flask-limiter sets Retry-After on every answer to when its window
    # resets, up to a minute away; registered before the limiter, this runs
    # after it and has the last word.
    if response.status_code == 503:
        response.headers["Retry-After"] = "1"
    return response


def init_app(app: Flask) -> None:
    """Bind the limiter to the app with Redis storage when configured, memory otherwise."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A storage failure lets requests through, except where ``fail_closed`` stands.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.after_request(_busy_retry_after)
    limiter.init_app(app)
