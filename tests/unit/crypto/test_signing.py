"""Webhook signatures: valid ones verify, anything altered or stale does not."""

from __future__ import annotations

import pytest

import crypto

SECRET = "whsec_test-only-secret"
BODY = b'{"event":"course.approved"}'
NOW = 1_800_000_000


def test_a_fresh_signature_verifies() -> None:
    """A signature made now for this body and secret is accepted."""
    header = crypto.sign_webhook(SECRET, timestamp=NOW, body=BODY)

    assert crypto.verify_webhook(SECRET, header=header, body=BODY, now=NOW + 10)
    assert header.startswith(f"t={NOW},v1=")


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("whsec_other", BODY, NOW),
        (SECRET, BODY + b" ", NOW),
        (SECRET, BODY, NOW + 301),
        (SECRET, BODY, NOW - 301),
    ],
    ids=["other secret", "altered body", "too old", "from the future"],
)
def test_altered_or_stale_signatures_fail(secret: str, body: bytes, now: int) -> None:
    """Another secret, another body, or a timestamp outside five minutes is refused."""
    header = crypto.sign_webhook(SECRET, timestamp=NOW, body=BODY)

    assert not crypto.verify_webhook(secret, header=header, body=body, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "t=1800000000", "garbage"])
def test_malformed_headers_fail(header: str) -> None:
    """Headers without a numeric t and a v1 are refused rather than raising."""

    assert not crypto.verify_webhook(SECRET, header=header, body=BODY, now=NOW)


def test_secrets_are_prefixed_and_random() -> None:
    """Webhook secrets carry the whsec_ prefix and differ each time."""

    first, second = crypto.generate_webhook_secret(), crypto.generate_webhook_secret()

    assert first.startswith("whsec_")
    assert first != second
