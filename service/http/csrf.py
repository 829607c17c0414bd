"""CSRF protection of every page blueprint, the citizen's and the staff's (Flask-WTF)."""

from __future__ import annotations

from flask import current_app, g, request
from flask import session as cookie
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def protect() -> None:
    """Refuse a state-changing request without a valid CSRF token (each page blueprint runs it)."""
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        csrf.protect()


def rotate() -> None:
    """Drop this browser's CSRF secret, so the next page shown makes a new one (at sign-in)."""
    name = current_app.config["WTF_CSRF_FIELD_NAME"]
    cookie.pop(name, None)
    # Flask-WTF caches this request's token in g under the same name.
    g.pop(name, None)
