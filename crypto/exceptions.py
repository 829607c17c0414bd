"""The exceptions of ``crypto``: one root, and messages that never quote secret input."""

from __future__ import annotations

from typing import Literal

TokenProblem = Literal["empty", "length", "character", "check"]


class CryptoError(Exception):
    """The root of every error raised by ``crypto``."""


class InvalidTokenError(CryptoError, ValueError):
    """A token is malformed; ``reason`` says how, and the text is never repeated."""

    def __init__(self, reason: TokenProblem) -> None:
        super().__init__(f"not a valid token ({reason})")
        self.reason: TokenProblem = reason


class KeyringError(CryptoError, ValueError):
    """The key configuration is unusable; the message never holds key material."""


class SealError(CryptoError):
    """A sealed box failed authentication or is malformed."""
