"""Telling a weak configured secret from a random one, before the service starts with it."""

from __future__ import annotations

import re

# Values that examples, tutorials and templates ship with, compared with the
# secret lowered and stripped of everything but letters and digits.
_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "default",
        "dev",
        "development",
        "key",
        "password",
        "secret",
        "secretkey",
        "supersecret",
        "test",
        "token",
        "tokenkey",
        "yoursecretkey",
        "yoursecretkeyhere",
    }
)
# Words that mark a value as one to be replaced, wherever they stand in it
# ("please-changeme-...", Django's "django-insecure-...").
_MARKERS = ("changeme", "changethis", "replaceme", "yoursecret", "placeholder", "insecure")
_LONGEST_PATTERN = 8
_FEWEST_DIFFERENT = 8


def _repeats_a_short_pattern(material: bytes) -> bool:
    for width in range(1, min(_LONGEST_PATTERN, len(material) // 2) + 1):
        pattern = material[:width]
        if (pattern * (len(material) // width + 1))[: len(material)] == material:
            return True
    return False


def secret_weakness(material: bytes, *, shortest: int) -> str | None:
    """Return why a configured secret is weak ("shorter than 32 bytes", ...), or None if not."""
    if len(material) < shortest:
        return f"shorter than {shortest} bytes"
    if _repeats_a_short_pattern(material):
        return "a short pattern repeated"
    if len(set(material)) < _FEWEST_DIFFERENT:
        return f"fewer than {_FEWEST_DIFFERENT} different bytes"
    plain = re.sub(rb"[^a-z0-9]", b"", material.lower()).decode("ascii", "replace")
    if plain in _PLACEHOLDERS or any(marker in plain for marker in _MARKERS):
        return "a placeholder, not a random value"
    return None
