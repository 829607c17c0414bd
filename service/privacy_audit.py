"""The privacy audit: look for anything identifying in every table and in log files (SPEC P5).

The detector is the one that refuses the same things in what staff type
(``service.core.text``): CPR numbers however written, e-mail and IP
addresses (loopback included), phone numbers, codes and API keys, in log
lines JSON-escaped or not. It reports what kind of thing it found and where
(table, column and row, or file and line), never the thing itself, so its own
output is safe to share.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Session

from service.core.text import kinds_in
from service.models import Base

__all__ = ["Finding", "kinds_in", "scan_database", "scan_files"]


@dataclass(frozen=True)
class Finding:
    """One identifying-looking thing: its kind and where it was, not what it was."""

    kind: str
    place: str


# What a column holds by design and is not a finding there: a centre's phone
# number is the provider's public switchboard, shown to every citizen, and
# service.booking.centres takes nothing but a valid Danish number into it.
# Any other kind of thing in that column is still a finding.
BY_DESIGN = {("centres", "phone"): {"phone-number"}}


def scan_database(session: Session) -> Iterator[Finding]:
    """Scan every text column of every table."""
    for table in Base.metadata.sorted_tables:
        texts = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not texts:
            continue
        keys = list(table.primary_key.columns)
        for row in session.execute(select(*keys, *texts)):
            where = ",".join(str(value) for value in row[: len(keys)])
            for column, value in zip(texts, row[len(keys) :], strict=True):
                expected = BY_DESIGN.get((table.name, column.name), set())
                for kind in sorted(kinds_in(value or "") - expected):
                    yield Finding(kind, f"{table.name}.{column.name} [{where}]")


def scan_files(paths: Iterable[Path]) -> Iterator[Finding]:
    """Scan log files line by line."""
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                for kind in sorted(kinds_in(line)):
                    yield Finding(kind, f"{path}:{number}")
