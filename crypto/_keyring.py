"""Versioned HMAC-SHA256 keys: digests of tokens and API keys that survive key rotation."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from crypto._strength import secret_weakness
from crypto.exceptions import KeyringError, SealError

MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class Digest:
    """A keyed digest and the version of the key that made it.

    A wrapped digest (``Keyring.wrap``) names the key that wrapped it as
    ``version`` and the key of the digest inside as ``inner``.
    """

    version: int
    value: bytes
    inner: int | None = None


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare two byte strings in time independent of where they differ."""
    return hmac.compare_digest(a, b)


def _decode(text: str) -> bytes:
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KeyringError("a key is neither hex nor base64url") from None


def _as_bytes(message: bytes | str) -> bytes:
    return message.encode() if isinstance(message, str) else message


class Keyring:
    """Versioned secret keys; the highest version is current, older ones still verify.

    Each purpose ("token", "api-key", ...) gets its own subkey,
    HMAC(key, "diskret/" + purpose), so a digest made for one purpose can
    never stand in for another (domain separation).
    """

    def __init__(self, keys: Mapping[int, bytes]) -> None:
        if not keys:
            raise KeyringError("a keyring needs at least one key")
        for version, key in keys.items():
            if version < 1:
                raise KeyringError("key versions are positive integers")
            if len(key) < MIN_KEY_BYTES:
                raise KeyringError(f"key version {version} is shorter than {MIN_KEY_BYTES} bytes")
        self._keys = dict(keys)

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Parse ``"1:<hex or base64url>,2:<...>"`` into a keyring."""
        keys: dict[int, bytes] = {}
        for entry in text.split(","):
            version_text, colon, material = entry.strip().partition(":")
            if not colon:
                raise KeyringError("each key is written VERSION:KEY")
            try:
                version = int(version_text)
            except ValueError:
                raise KeyringError("a key version is not an integer") from None
            if version in keys:
                raise KeyringError(f"key version {version} is given twice")
            keys[version] = _decode(material)
        return cls(keys)

    @staticmethod
    def generate_config(version: int = 1) -> str:
        """Return a fresh configuration string with one random 256-bit key."""
        return f"{version}:{secrets.token_hex(32)}"

    @property
    def current_version(self) -> int:
        """Return the version used for new digests."""
        return max(self._keys)

    @property
    def versions(self) -> tuple[int, ...]:
        """Return every version, current first."""
        return tuple(sorted(self._keys, reverse=True))

    def _subkey(self, purpose: str, version: int | None) -> tuple[int, bytes]:
        chosen = self.current_version if version is None else version
        if chosen not in self._keys:
            raise KeyringError(f"no key has version {chosen}")
        label = b"diskret/" + purpose.encode()
        return chosen, hmac.new(self._keys[chosen], label, hashlib.sha256).digest()

    def digest(self, message: bytes | str, *, purpose: str, version: int | None = None) -> Digest:
        """Return the keyed digest of a message for one purpose."""
        chosen, subkey = self._subkey(purpose, version)
        return Digest(chosen, hmac.new(subkey, _as_bytes(message), hashlib.sha256).digest())

    def weaknesses(self, *, shortest: int = 32) -> dict[int, str]:
        """Return, for each key version that is weak, why (see ``secret_weakness``)."""
        found = {v: secret_weakness(key, shortest=shortest) for v, key in self._keys.items()}
        return {version: why for version, why in found.items() if why is not None}

    def candidates(self, message: bytes | str, *, purpose: str) -> list[Digest]:
        """Return every form the message's digest may be stored in, current first (for lookups).

        That is its digest under every key version, then that digest wrapped
        under every other version (``wrap``): a wrapped digest is found only
        while both of its keys are in the keyring.
        """
        plain = [self.digest(message, purpose=purpose, version=v) for v in self.versions]
        wrapped = [
            self.wrap(inner, purpose=purpose, version=outer)
            for inner in plain
            for outer in self.versions
            if outer != inner.version
        ]
        return plain + wrapped

    def _wrapping_key(self, purpose: str, version: int | None) -> tuple[int, bytes]:
        chosen = self.current_version if version is None else version
        if chosen not in self._keys:
            raise KeyringError(f"no key has version {chosen}")
        label = b"diskret/wrap/" + purpose.encode()
        # AES-SIV takes two AES-256 keys: 64 bytes from one HMAC-SHA512.
        return chosen, hmac.new(self._keys[chosen], label, hashlib.sha512).digest()

    def wrap(self, inner: Digest, *, purpose: str, version: int | None = None) -> Digest:
        """Wrap a stored digest under another key, so that its own key alone no longer matches it.

        The wrapping is deterministic encryption (AES-SIV, RFC 5297): the same
        digest always wraps to the same bytes, so a lookup can compute it, and
        the holder of the wrapping key can unwrap it to wrap it under a newer key.
        """
        chosen, key = self._wrapping_key(purpose, version)
        if inner.inner is not None or inner.version == chosen:
            raise KeyringError("a digest is wrapped once, under another version than its own")
        associated = [purpose.encode(), inner.version.to_bytes(2, "big")]
        value = AESSIV(key).encrypt(inner.value, associated)
        return Digest(chosen, value, inner=inner.version)

    def unwrap(self, wrapped: Digest, *, purpose: str) -> Digest:
        """Return the digest inside a wrapped one; raise SealError if it was not wrapped so."""
        if wrapped.inner is None:
            raise KeyringError("the digest is not wrapped")
        _, key = self._wrapping_key(purpose, wrapped.version)
        associated = [purpose.encode(), wrapped.inner.to_bytes(2, "big")]
        try:
            value = AESSIV(key).decrypt(wrapped.value, associated)
        except InvalidTag:
            raise SealError("wrapped digest failed authentication") from None
        return Digest(wrapped.inner, value)

    def rewrap(self, stored: Digest, *, purpose: str) -> Digest:
        """Return a stored digest moved to the current key, wrapped if its own key is older.

        A plain digest under an older key is wrapped under the current key; a
        wrapped one is unwrapped and wrapped again under the current key (or
        left plain when its inner key is the current one).
        """
        inner = self.unwrap(stored, purpose=purpose) if stored.inner is not None else stored
        if inner.version == self.current_version:
            return inner
        return self.wrap(inner, purpose=purpose)

    def derive_key(
        self, context: bytes | str, *, purpose: str, version: int | None = None
    ) -> bytes:
        """Derive a 32-byte key for one purpose and context (e.g. for ``seal``)."""
        return self.digest(context, purpose="derive/" + purpose, version=version).value

    def __repr__(self) -> str:
        """Show the versions, never the keys."""
        return f"Keyring(versions={list(self.versions)})"
