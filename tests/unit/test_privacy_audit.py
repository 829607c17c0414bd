"""What the privacy audit recognises, and what it lets pass."""

from __future__ import annotations

import pytest

import crypto
from service.privacy_audit import kinds_in


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("born 010190-1234 here", "cpr-number"),
        ("0101901234", "cpr-number"),
        ("write to someone@example.invalid", "e-mail"),
        ("call +45 12 34 56 78", "phone-number"),
        ("call 12345678", "phone-number"),
        ("from 192.0.2.17 at noon", "ip-address"),
        ("from 2001:db8::17", "ip-address"),
        ("key dsk_AbCdEfGhIjKlMnOpQrStUvWx", "api-key"),
    ],
)
def test_identifying_things_are_found(text: str, kind: str) -> None:
    """Each kind in a sentence of its own."""
    assert kind in kinds_in(text)


def test_a_real_token_is_found_grouped_or_not() -> None:
    """A token as shown, and as typed without dashes."""
    token = crypto.generate_token()

    assert "token" in kinds_in(f"code {token}.")
    assert "token" in kinds_in(token.replace("-", "").lower())


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/me 200 3.1ms",
        "2026-11-25T06:00:07+00:00 INFO diskret.request",
        "course 9f1c3e2a-5b7d-4c8e-9f0a-1b2c3d4e5f6a",
        "listening at 127.0.0.1:8000 and 0.0.0.0:8000",
        "310299-1234 is no date",  # 31 February
        "Vesterbrogade 1, 1620 København V",
        "version 1.2.3.4.5",
    ],
)
def test_ordinary_lines_pass(text: str) -> None:
    """Request lines, timestamps, UUIDs, bind addresses and impossible dates are no finding."""
    assert kinds_in(text) == set()
