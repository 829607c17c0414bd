"""Scans of the database and the logs for values that must never be kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Base


def _variants(needle: str) -> list[bytes]:
    compact = needle.replace("-", "")
    forms = {needle, compact, needle.lower(), compact.lower()}
    return [form.encode() for form in forms if form]


def database_contains(session: Session, needle: str) -> bool:
    """Tell whether any column of any row, text or bytes, holds the needle in any usual form."""
    session.expire_all()
    variants = _variants(needle)
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            for value in row:
                raw = value if isinstance(value, bytes) else str(value).encode()
                if any(variant in raw for variant in variants):
                    return True
    return False


def logs_contain(caplog: pytest.LogCaptureFixture, needle: str) -> bool:
    """Tell whether any captured log line, formatted with its arguments, holds the needle."""
    variants = [v.decode() for v in _variants(needle)]
    text = "\n".join(record.getMessage() + str(record.exc_text or "") for record in caplog.records)
    return any(variant in text for variant in variants)
