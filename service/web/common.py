"""What every citizen page module shares: languages, times in Copenhagen, rendering."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel import Locale
from babel.dates import get_day_names
from babel.lists import format_list
from flask import render_template
from flask_babel import format_date, format_time, get_locale

LANGUAGES = ("da", "en")
LANGUAGE_COOKIE = "__Host-lang"

# How a day is written on the citizen's pages, in Babel's (CLDR's) pattern
# syntax: "tirsdag 8. december 2026", "Tuesday 8 December 2026". CLDR's own
# "full" formats differ ("tirsdag den 8. december 2026", and the American
# "Tuesday, December 8, 2026" for "en"), so each language names its pattern.
DAY_PATTERNS = {"da": "EEEE d. MMMM y", "en": "EEEE d MMMM y"}


def language() -> str:
    """Return the language of the page being rendered: "da" or "en"."""
    chosen = str(get_locale() or "da")
    return chosen if chosen in LANGUAGES else "da"


def day(on: date | datetime) -> str:
    """Return a day as a citizen reads it, in their language; an instant's day in Copenhagen."""
    return str(format_date(on, DAY_PATTERNS[language()]))


def clock(instant: datetime) -> str:
    """Return the Copenhagen wall-clock time of an instant, "17:00"."""
    return str(format_time(instant, "HH:mm"))


def when(instant: datetime) -> str:
    """Return a date and time as a citizen reads it, in Copenhagen time."""
    return f"{day(instant)}, {clock(instant)}"


def weekday(number: int) -> str:
    """Return a weekday's name (0 = Monday) in the page's language."""
    return str(get_day_names("wide", locale=language())[number])


def spoken(codes: str) -> str:
    """Return space-separated ISO 639-1 codes as language names: "dansk og engelsk"."""
    names = Locale.parse(language()).languages
    return str(format_list([names.get(code, code) for code in codes.split()], locale=language()))


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a page with a status; a refusal must not be 200, so its transaction rolls back."""
    return render_template(
        template, when=when, day=day, clock=clock, status=status, **context
    ), status
