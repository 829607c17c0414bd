"""The privacy audit: look for anything identifying in every table and in log files (SPEC P5).

It reports what kind of thing it found and where (table, column and row, or
file and line), never the thing itself, so its own output is safe to share.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Session

import crypto
from service.models import Base

_CPR = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})-?\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.:-])(?:\+45[ ]?)?(?:\d{2}[ ]?){3}\d{2}(?![\w.:-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_TOKEN = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Za-z]{4}-){4}[0-9A-Za-z]{4}(?![0-9A-Za-z])|"
    r"(?<![0-9A-Za-z])[0-9A-Za-z]{20}(?![0-9A-Za-z])"
)
_API_KEY = re.compile(r"dsk_[A-Za-z0-9_-]{20,}")


@dataclass(frozen=True)
class Finding:
    """One identifying-looking thing: its kind and where it was, not what it was."""

    kind: str
    place: str


def _is_cpr(match: re.Match[str]) -> bool:
    day, month, year = (int(part) for part in match.groups())
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def _is_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    # A server's own bind address ("listening at 127.0.0.1") identifies nobody.
    return not (address.is_loopback or address.is_unspecified)


def _is_token(text: str) -> bool:
    try:
        crypto.normalize_token(text)
    except crypto.InvalidTokenError:
        return False
    return True


def kinds_in(text: str) -> set[str]:
    """Return the kinds of identifying things a text holds."""
    found = set()
    if any(_is_cpr(match) for match in _CPR.finditer(text)):
        found.add("cpr-number")
    if _EMAIL.search(text):
        found.add("e-mail")
    if _PHONE.search(text):
        found.add("phone-number")
    if any(_is_address(m.group()) for m in (*_IPV4.finditer(text), *_IPV6.finditer(text))):
        found.add("ip-address")
    if any(_is_token(match.group()) for match in _TOKEN.finditer(text)):
        found.add("token")
    if _API_KEY.search(text):
        found.add("api-key")
    return found


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
                for kind in sorted(kinds_in(value or "")):
                    yield Finding(kind, f"{table.name}.{column.name} [{where}]")


def scan_files(paths: Iterable[Path]) -> Iterator[Finding]:
    """Scan log files line by line."""
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                for kind in sorted(kinds_in(line)):
                    yield Finding(kind, f"{path}:{number}")
