"""Sealed boxes: AES-256-GCM with a random nonce, for data only its key holder may read back."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.exceptions import SealError

NONCE_BYTES = 12
TAG_BYTES = 16


def seal(key: bytes, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt and authenticate plaintext; ``context`` is bound to it as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def unseal(key: bytes, sealed: bytes, *, context: bytes) -> bytes:
    """Return the plaintext of a sealed box, or raise SealError if anything was altered."""
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise SealError("sealed box is too short")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
    except InvalidTag:
        raise SealError("sealed box failed authentication") from None
