"""Webhook signatures: HMAC-SHA256 over a timestamp and the body, with replay protection."""

from __future__ import annotations

import hashlib
import hmac
import secrets

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix for secret scanners, not a secret
# A receiver refuses signatures older (or newer) than this, in seconds.
SIGNATURE_TOLERANCE = 300


def generate_webhook_secret() -> str:
    """Return a new webhook signing secret: ``whsec_`` and 256 random bits."""
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, *, timestamp: int, body: bytes) -> str:
    """Return the signature header value, ``t=<unix time>,v1=<hex HMAC>``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_webhook(
    secret: str, *, header: str, body: bytes, now: int, tolerance: int = SIGNATURE_TOLERANCE
) -> bool:
    """Tell whether a signature header is valid for the body and recent enough."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        signature = fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature, _mac(secret, timestamp, body))
