"""Rate limits keyed on a daily-rotating keyed hash of the client address (SPEC P3).

The raw address never reaches the limiter's storage: the key is an HMAC of
the address under a subkey that changes each day, so entries from one day
cannot be linked to the next, nor reversed without the server's key.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter

import crypto
from service.booking.clock import local_today, utcnow

KEYRING = "diskret.keyring"


def client_key() -> str:
    """Return today's keyed hash of the client address."""
    keyring: crypto.Keyring = current_app.extensions[KEYRING]
    address = request.remote_addr or "unknown"
    day = local_today(utcnow()).isoformat()
    return keyring.digest(address, purpose=f"client-address/{day}").value.hex()[:32]


limiter = Limiter(key_func=client_key, headers_enabled=True)


def configured(name: str) -> str:
    """Return a limit string from the configuration (limits are configuration, not code)."""
    value: str = current_app.config[name]
    return value


def init_app(app: Flask) -> None:
    """Bind the limiter to the app with Redis storage when configured, memory otherwise."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
