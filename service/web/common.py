"""What every page module shares: CSRF, the keyring, times in Copenhagen, rendering."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template, request
from flask_babel import format_datetime, format_time
from flask_wtf.csrf import CSRFProtect

import crypto
from service.limits import KEYRING

LANGUAGES = ("da", "en")
LANGUAGE_COOKIE = "__Host-lang"

csrf = CSRFProtect()


def protect() -> None:
    """Refuse a state-changing request without a valid CSRF token (each page blueprint runs it)."""
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        csrf.protect()


def keyring() -> crypto.Keyring:
    """Return the service's keyring."""
    ring: crypto.Keyring = current_app.extensions[KEYRING]
    return ring


def when(instant: datetime) -> str:
    """Return a date and time as a citizen reads it, in Copenhagen time."""
    return f"{format_datetime(instant, 'EEEE d. MMMM y')}, {format_time(instant, 'HH:mm')}"


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a page with a status; a refusal must not be 200, so its transaction rolls back."""
    return render_template(template, when=when, status=status, **context), status
