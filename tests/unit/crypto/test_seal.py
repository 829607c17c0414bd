"""Sealed boxes: only the right key and context open them."""

from __future__ import annotations

import pytest

import crypto

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def test_a_sealed_box_opens_with_its_key_and_context() -> None:
    """Round trip: seal then unseal gives the plaintext back, and the box hides it."""

    box = crypto.seal(KEY, b"answer", context=b"ctx")

    assert b"answer" not in box
    assert crypto.unseal(KEY, box, context=b"ctx") == b"answer"


@pytest.mark.parametrize(("key", "context"), [(OTHER, b"ctx"), (KEY, b"other")])
def test_a_wrong_key_or_context_is_refused(key: bytes, context: bytes) -> None:
    """Another key or another context fails authentication."""
    box = crypto.seal(KEY, b"answer", context=b"ctx")

    with pytest.raises(crypto.SealError):
        crypto.unseal(key, box, context=context)


def test_a_tampered_box_is_refused() -> None:
    """Flipping one bit anywhere is detected."""
    box = bytearray(crypto.seal(KEY, b"answer", context=b"ctx"))
    box[-1] ^= 1

    with pytest.raises(crypto.SealError):
        crypto.unseal(KEY, bytes(box), context=b"ctx")


def test_a_box_too_short_to_be_one_is_refused() -> None:
    """Input shorter than nonce and tag is refused."""

    with pytest.raises(crypto.SealError):
        crypto.unseal(KEY, b"short", context=b"ctx")
