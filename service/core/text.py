"""What counts as identifying in a text, for the staff's free text (SPEC P1) and the audit (P5).

One detector serves both: ``refuse_personal_data`` keeps CPR numbers, e-mail
and IP addresses and phone numbers out of what staff type, and
``service.privacy_audit`` looks for the same things, and for codes and API
keys, in every table and log file. Text is normalised first (NFKC, zero-width
characters removed, every Unicode dash read as ``-``), so that a number
written with look-alike characters is still a number.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import date

import crypto
from service.core.errors import PersonalDataRefused

# Zero-width space, non-joiner and joiner, word joiner, byte-order mark, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Hyphen to horizontal bar (U+2010..U+2015), the minus sign and its small and
# full-width forms (NFKC has already made the latter two a plain "-").
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043"), "-")

_SEP = r"[ .\-]?"
# DDMMYY, an optional separator between the parts of the date, then any run
# of spaces, dots and dashes (``010190 - 1234``), then four digits.
_CPR = re.compile(
    rf"(?<!\d)(?<!\d\.)(\d{{2}}){_SEP}(\d{{2}}){_SEP}(\d{{2}})[ .\-]{{0,5}}\d{{4}}(?!\d)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Eight digits grouped by spaces, with +45 or 0045 in front or not.
# A full stop may end the sentence after either; a dot and a digit would go on.
_PHONE = re.compile(r"(?<![\w.:+-])(?:(?:\+|00)45 ?)?(?:\d ?){7}\d(?![\w:-])(?!\.\d)")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d)(?!\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Twenty symbols, in groups of four or not, joined by dashes or by spaces;
# not a piece of a longer run (a UUID's hex groups). Candidates may overlap
# ("code 7K3M Q9TD ..." starts one at "code"), hence the lookahead.
_TOKEN = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9A-Za-z]-)"
    r"(?=((?:[0-9A-Za-z]{4}[- ]?){4}[0-9A-Za-z]{4})"
    r"(?![0-9A-Za-z])(?!-[0-9A-Za-z]))"
)
_API_KEY = re.compile(r"dsk_[A-Za-z0-9_-]{20,}")
# A private calendar feed's address: its path holds the feed's secret (service.web.feed).
_CALENDAR_FEED = re.compile(r"/calendar/[A-Za-z0-9_-]{40,}")
# A JSON string escape: \u0040, \n, \" and the like.
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|[\"\\/bfnrt])")
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}

# What staff may never type, and its name in the refusal.
PERSONAL = ("cpr-number", "e-mail", "phone-number", "ip-address")


def normalise(text: str) -> str:
    """Return text with compatibility forms folded, invisible characters gone, dashes plain."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_DASHES)


def _plausible_date(day: str, month: str, year: str) -> bool:
    # The modulus-11 check is deliberately not required: CPR numbers issued
    # since 2007 need not satisfy it (CPR-kontoret, "Personnummeret i CPR").
    # 19YY and 20YY are leap years alike, but for 00 (2000 is one).
    try:
        date(2000 + int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    # "::" alone is a separator in too many notations to count.
    return text.strip(":") != ""


def _is_token(match: re.Match[str]) -> bool:
    # Words joined by spaces make up twenty letters often enough; a code
    # written that way is taken only when it holds a digit, as nearly all do.
    candidate = match.group(1)
    if " " in candidate and not any(c.isdigit() for c in candidate):
        return False
    try:
        crypto.normalize_token(candidate)
    except crypto.InvalidTokenError:
        return False
    return True


def looks_like_cpr(text: str) -> bool:
    """Tell whether text holds ten digits whose first six are a date, however written."""
    return "cpr-number" in _kinds_in_plain(normalise(text))


def _kinds_in_plain(text: str) -> set[str]:
    found = set()
    if any(_plausible_date(*match.groups()) for match in _CPR.finditer(text)):
        found.add("cpr-number")
    if _EMAIL.search(text):
        found.add("e-mail")
    if _PHONE.search(text):
        found.add("phone-number")
    if any(_is_address(m.group()) for m in (*_IPV4.finditer(text), *_IPV6.finditer(text))):
        found.add("ip-address")
    if any(_is_token(match) for match in _TOKEN.finditer(text)):
        found.add("token")
    if _API_KEY.search(text):
        found.add("api-key")
    if _CALENDAR_FEED.search(text):
        found.add("calendar-feed")
    return found


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        return chr(int(escape[1:], 16)) if escape[0] == "u" else _SIMPLE_ESCAPES[escape]

    return _ESCAPE.sub(one, text)


def _strings(value: object) -> Iterator[str]:
    """Yield every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _readings(text: str) -> Iterator[str]:
    """Yield the text as it is, as JSON when it parses, and with JSON escapes undone.

    A value logged inside a JSON string inside another (a payload quoted in a
    message) is escaped twice, so escapes are undone until nothing changes.
    """
    yield text
    try:
        decoded = json.loads(text)
    except ValueError:
        pass
    else:
        yield from _strings(decoded)
    for _ in range(3):
        unescaped = _unescape(text)
        if unescaped == text:
            return
        text = unescaped
        yield text


def kinds_in(text: str) -> set[str]:
    """Return the kinds of identifying things a text holds, JSON-escaped or not."""
    found: set[str] = set()
    for reading in _readings(text):
        found |= _kinds_in_plain(normalise(reading))
    return found


def refuse_personal_data(
    value: str, *, field: str, refusal: type[PersonalDataRefused] = PersonalDataRefused
) -> str:
    """Return the value unchanged, or refuse it when it holds a CPR number, e-mail, phone or IP."""
    if set(PERSONAL) & kinds_in(value):
        raise refusal(field=field)
    return value
