"""What every citizen page module shares: languages, times in Copenhagen, rendering."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import format_datetime, format_time

LANGUAGES = ("da", "en")
LANGUAGE_COOKIE = "__Host-lang"


def when(instant: datetime) -> str:
    """Return a date and time as a citizen reads it, in Copenhagen time."""
    return f"{format_datetime(instant, 'EEEE d. MMMM y')}, {format_time(instant, 'HH:mm')}"


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a page with a status; a refusal must not be 200, so its transaction rolls back."""
    return render_template(template, when=when, status=status, **context), status
