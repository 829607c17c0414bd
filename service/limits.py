"""Rate limits keyed on a daily-rotating keyed hash of the client address (SPEC P3).

The raw address never reaches the limiter's storage: the key is an HMAC of
the address under a subkey that changes each day, so entries from one day
cannot be linked to the next, nor reversed without the server's key.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, current_app, request
from flask_limiter import Limiter

import crypto
from service.core.clock import local_today, utcnow
from service.http.credentials import bearer_credential, form_code
from service.http.keyring import keyring
from service.http.per_request import once

View = TypeVar("View", bound=Callable[..., Any])


def client_key() -> str:
    """Return today's keyed hash of the client: its IPv4 address, or its IPv6 /64.

    Computed once a request, however many limits count the client; only the
    hash is kept, never the address.
    """
    return once("client_key", _client_key)


def _client_key() -> str:
    client = _client(request.remote_addr or "unknown")
    day = local_today(utcnow()).isoformat()
    return keyring().digest(client, purpose=f"client-address/{day}").value.hex()[:32]


def _client(address: str) -> str:
    """Return what counts as one client: an IPv4 address, or the /64 of an IPv6 one.

    An IPv6 subscriber is given at least a /64 (RFC 6177; often a /56 or a
    /48, RIPE-690) and can change address within it at will, so the /64 is
    the smallest block that counts as one client. An IPv4-mapped address
    (::ffff:a.b.c.d, from a dual-stack socket) is that IPv4 address, not one
    /64 shared by every IPv4 client.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


# The default limit is read from the current app's configuration at each
# request, so every app in a process (tests make many) applies its own.
limiter = Limiter(
    key_func=client_key,
    headers_enabled=True,
    default_limits=[lambda: configured("RATELIMIT_DEFAULT")],
)


def _token_key(sent: str) -> str:
    """Key a limit on today's keyed digest of a code, never on the code itself.

    The code is normalised as authentication reads it (case, dashes and
    spaces do not matter), so every spelling of one code shares its budget;
    a malformed one is keyed as typed, so typos count too.
    """
    ring = keyring()
    try:
        canonical = crypto.normalize_token(sent)
    except crypto.InvalidTokenError:
        canonical = " ".join(sent.split()).upper()
    day = local_today(utcnow()).isoformat()
    return "token:" + ring.digest(canonical, purpose=f"ratelimit-token/{day}").value.hex()[:32]


def bearer_token_key() -> str:
    """Key the per-code limit of an API route on the code of its Authorization header."""
    return _token_key(bearer_credential() or "")


def form_token_key() -> str:
    """Key the per-code limit of the web form on the code typed into it."""
    return _token_key(form_code())


def api_key_key() -> str:
    """Key the per-key limit on a keyed digest of the API key sent, never on the key."""
    ring = keyring()
    credential = bearer_credential() or ""
    return "api-key:" + ring.digest(credential, purpose="ratelimit-api-key").value.hex()[:32]


def fail_closed(view: View) -> View:
    """Answer 503 when the limiter's storage is down, where guessing is the threat.

    Everywhere else a storage failure makes the limits count in the process
    (``init_app``); where a code or a password is guessed, counts per process
    would multiply the budget by the number of processes, so these routes
    refuse instead.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if limiter.enabled and not limiter.storage.check():
            abort(503)
        return view(*args, **kwargs)

    return cast(View, wrapper)


# Each documented limit is one budget, whichever route spends it: a shared
# limit's counter is named by its scope, not by the route. The per-code
# budget is declared once per place the code comes from; both key on the
# normalised code under one scope, so they count into the same counter.
_code_guesses_per_client = limiter.shared_limit(
    lambda: configured("RATELIMIT_TOKEN"), scope="code-guesses"
)
_code_guesses_per_code_api = limiter.shared_limit(
    lambda: configured("RATELIMIT_TOKEN_DIGEST"), scope="code", key_func=bearer_token_key
)
_code_guesses_per_code_web = limiter.shared_limit(
    lambda: configured("RATELIMIT_TOKEN_DIGEST"), scope="code", key_func=form_token_key
)
course_creation = limiter.shared_limit(
    lambda: configured("RATELIMIT_COURSE_CREATE"), scope="course-creation"
)
_key_uses_per_key = limiter.shared_limit(
    lambda: configured("RATELIMIT_API_KEY"), scope="api-key", key_func=api_key_key
)
_key_uses_per_client = limiter.shared_limit(
    lambda: configured("RATELIMIT_API_CLIENT"), scope="api-key-client"
)


def _failed_or_busy(response: Response) -> bool:
    # A 503 "busy" means the request reached the argon2 slot and found it
    # taken: a flood that only ever meets a busy slot still pays for it.
    return response.status_code in (401, 503)


staff_sign_in = limiter.shared_limit(
    lambda: configured("RATELIMIT_LOGIN_CLIENT"),
    scope="staff-sign-in",
    deduct_when=_failed_or_busy,
)


def token_entry(view: View) -> View:
    """Guard an API route that takes a code: limited per client and per code, failing closed."""
    return cast(View, _code_guesses_per_client(_code_guesses_per_code_api(fail_closed(view))))


def code_entry(view: View) -> View:
    """Guard the web form that takes a code: the same budgets as the API's, failing closed."""
    return cast(View, _code_guesses_per_client(_code_guesses_per_code_web(fail_closed(view))))


def key_entry(view: View) -> View:
    """Guard a route that takes an API key: limited per key and per client.

    The per-client budget stops a client that sends a new made-up key each
    time (each would otherwise be a fresh key, and cost a lookup).
    """
    return cast(View, _key_uses_per_client(_key_uses_per_key(view)))


def configured(name: str) -> str:
    """Return a limit string from the configuration (limits are configuration, not code)."""
    value: str = current_app.config[name]
    return value


def _busy_retry_after(response: Response) -> Response:
    """Tell a client answered 503 to retry in a second, whatever the limiter said.

    A 503 means busy (a lock, every password slot, a dependency restarting),
    as a page or as JSON. With headers on, flask-limiter sets Retry-After on
    every answer to when its window resets, up to a minute away; registered
    before the limiter, this runs after it and has the last word.
    """
    if response.status_code == 503:
        response.headers["Retry-After"] = "1"
    return response


def init_app(app: Flask) -> None:
    """Bind the limiter to the app with Redis storage when configured, memory otherwise."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # When the storage fails, every limit counts in this process's memory
    # until the storage answers again; ``fail_closed`` routes refuse instead.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # With the fallback on, an error is left to swallow only when the storage
    # fails between a request's check and its deduction (a failed sign-in):
    # that one failure goes uncounted rather than the answer becoming a 500.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.after_request(_busy_retry_after)
    # The limiter object outlives an app (tests make many): a storage failure
    # seen by an earlier app must not send this one to the fallback.
    limiter._storage_dead = False  # flask-limiter has no public reset of this flag
    limiter.init_app(app)
