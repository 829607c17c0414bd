"""Checks on the text that staff type: no CPR number ever gets stored (SPEC P1)."""

from __future__ import annotations

import re
from datetime import date

from service.booking.errors import PersonalDataRefused

# Ten digits, optionally DDMMYY-SSSS, not part of a longer number.
_CPR_SHAPE = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})[- ]?(\d{4})(?!\d)")


def looks_like_cpr(text: str) -> bool:
    """Tell whether text holds a ten-digit number whose first six digits are a valid date.

    The modulus-11 check is deliberately not required: CPR numbers issued
    since 2007 need not satisfy it (CPR-kontoret, "Personnummeret i CPR").
    """
    for match in _CPR_SHAPE.finditer(text):
        day, month, year = (int(part) for part in match.groups()[:3])
        try:
            date(2000 + year, month, day)
        except ValueError:
            continue
        return True
    return False


def refuse_cpr(value: str, *, field: str) -> str:
    """Return the value unchanged, or refuse it when it looks like a CPR number."""
    if looks_like_cpr(value):
        raise PersonalDataRefused(field=field)
    return value
