"""Tokens, references and API keys: random, typeable and checkable.

Crockford base32 is written out here rather than taken from PyPI: the
packages there (``base32-crockford``, last released 2015; ``crockford``, 2011)
are unmaintained, work on integers, and lack the grouping and normalisation
rules a citizen-facing code needs. The whole encoding is a few lines.
"""

from __future__ import annotations

import re
import secrets

from crypto.exceptions import InvalidTokenError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}
# Crockford: I and L read as 1, O as 0; input is case-insensitive.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s-]+")

DATA_SYMBOLS = 19
TOKEN_SYMBOLS = DATA_SYMBOLS + 1
GROUP = 4
CHECK_MODULUS = 37
# 19 symbols of 5 bits. Redrawing the tokens whose check value would need one
# of Crockford's extra symbols (*~$=U) costs log2(37/32) ≈ 0.21 bits, leaving
# ≈94.8 bits of entropy, well above the 80 that SPEC P2 asks for.
TOKEN_BITS = DATA_SYMBOLS * 5

API_KEY_PREFIX = "dsk_"
_API_KEY_SHAPE = re.compile(r"^dsk_[A-Za-z0-9_-]{43}$")
REFERENCE_SYMBOLS = 8


def _check_value(data: str) -> int:
    value = 0
    for symbol in data:
        value = value * 32 + _VALUE[symbol]
    return value % CHECK_MODULUS


def _group(canonical: str) -> str:
    return "-".join(canonical[i : i + GROUP] for i in range(0, len(canonical), GROUP))


def generate_token() -> str:
    """Return a new token in display form, e.g. ``7K3M-Q9TD-0PXA-H2RW-B5NE``.

    The last symbol is Crockford's mod-37 check. Since 37 is prime, it divides
    neither 32**k nor any difference of two symbols, so every single-symbol
    substitution changes the value mod 37 and is caught; swapping neighbours
    a and b changes it by (a - b) * 31 * 32**k, which is caught too.
    """
    while True:
        data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_SYMBOLS))
        check = _check_value(data)
        if check < len(ALPHABET):
            return _group(data + ALPHABET[check])


def normalize_token(text: str) -> str:
    """Return the canonical form of a token (20 symbols, no dashes), or raise InvalidTokenError.

    Case, dashes and spaces do not matter, and I, L and O are read as 1, 1 and 0.
    """
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if not compact:
        raise InvalidTokenError("empty")
    if len(compact) != TOKEN_SYMBOLS:
        raise InvalidTokenError("length")
    if any(symbol not in _VALUE for symbol in compact):
        raise InvalidTokenError("character")
    if _check_value(compact[:DATA_SYMBOLS]) != _VALUE[compact[-1]]:
        raise InvalidTokenError("check")
    return compact


def format_token(canonical: str) -> str:
    """Return the display form of a canonical token: five groups of four."""
    if len(canonical) != TOKEN_SYMBOLS:
        raise InvalidTokenError("length")
    return _group(canonical)


_TOKEN_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Za-z]{4}-){4}[0-9A-Za-z]{4}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])[0-9A-Za-z]{20}(?![0-9A-Za-z])"
)


def looks_like_token(text: str) -> bool:
    """Tell whether text holds a valid token, in display or canonical form (privacy scans)."""
    for match in _TOKEN_CANDIDATE.finditer(text):
        try:
            normalize_token(match.group())
        except InvalidTokenError:
            continue
        return True
    return False


def generate_reference() -> str:
    """Return a random staff-facing course reference, e.g. ``K7QM-4XPZ`` (40 bits, no check)."""
    return _group("".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_SYMBOLS)))


def normalize_reference(text: str) -> str:
    """Return a course reference in display form (``K7QM-4XPZ``), or raise InvalidTokenError.

    Read out on the phone, a reference is taken as a code is: case, dashes and
    spaces do not matter, and I, L and O are read as 1, 1 and 0.
    """
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if len(compact) != REFERENCE_SYMBOLS:
        raise InvalidTokenError("length")
    if any(symbol not in _VALUE for symbol in compact):
        raise InvalidTokenError("character")
    return _group(compact)


def generate_api_key() -> str:
    """Return a new API key: the ``dsk_`` prefix and 256 random bits, base64url."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def is_api_key_shaped(text: str) -> bool:
    """Tell whether text has the shape of an API key."""
    return _API_KEY_SHAPE.match(text) is not None
