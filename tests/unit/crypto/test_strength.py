"""Weak configured secrets: short, a repeated pattern, too few different bytes, placeholders."""

from __future__ import annotations

import secrets

import pytest

import crypto

RANDOM_KEY = secrets.token_hex(32)


@pytest.mark.parametrize(
    ("material", "why"),
    [
        (b"changeme", "shorter than 32 bytes"),
        (b"\x00" * 32, "a short pattern repeated"),
        (b"abc" * 11, "a short pattern repeated"),
        (b"01234567" * 4, "a short pattern repeated"),
        (b"aaaabbbbccccddddaaaabbbbccccdddd!", "fewer than 8 different bytes"),
        (b"please-changeme-before-you-deploy-this", "a placeholder, not a random value"),
        (b"django-insecure-q8#l2x!r7@v0p5m3k9z1w4", "a placeholder, not a random value"),
    ],
)
def test_a_weak_secret_is_named_with_its_weakness(material: bytes, why: str) -> None:
    """Each kind of weak value is caught, and the reason never quotes the value."""
    assert crypto.secret_weakness(material, shortest=32) == why


def test_random_and_long_made_up_secrets_pass() -> None:
    """A generated key and a long phrase without placeholder words are accepted."""
    assert crypto.secret_weakness(secrets.token_bytes(32), shortest=32) is None
    assert (
        crypto.secret_weakness(b"test-only-secret-key-not-for-production-use", shortest=32) is None
    )


def test_a_placeholder_word_alone_is_refused_even_when_short_is_allowed() -> None:
    """Known placeholders are refused whatever the length rule."""
    assert crypto.secret_weakness(b"S-e-c-r-e-t-K-e-y", shortest=1) == (
        "a placeholder, not a random value"
    )


def test_the_keyring_names_each_weak_version() -> None:
    """Only the weak versions are listed, each with its reason."""
    ring = crypto.Keyring.parse(f"1:{'00' * 32},2:{RANDOM_KEY},3:{'ab' * 48}")

    assert ring.weaknesses() == {1: "a short pattern repeated", 3: "a short pattern repeated"}
    assert ring.weaknesses(shortest=40) == {
        1: "shorter than 40 bytes",
        2: "shorter than 40 bytes",
        3: "a short pattern repeated",
    }
    assert crypto.Keyring.parse(f"1:{RANDOM_KEY}").weaknesses() == {}
