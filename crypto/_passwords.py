"""Staff passwords: argon2id through argon2-cffi, with named parameter profiles.

Pure functions that compute on the caller's thread, like argon2-cffi's own:
how many computations a process may run at once is the caller's policy
(``service.passwords`` in the server).
"""

from __future__ import annotations

from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class PasswordProfile:
    """argon2id parameters: time cost, memory cost in KiB, parallelism, lengths in bytes."""

    time_cost: int
    memory_cost: int
    parallelism: int
    hash_len: int = 32
    salt_len: int = 16

    def hasher(self) -> argon2.PasswordHasher:
        """Return an argon2-cffi hasher for this profile."""
        return argon2.PasswordHasher.from_parameters(
            argon2.Parameters(
                type=argon2.Type.ID,
                version=19,
                salt_len=self.salt_len,
                hash_len=self.hash_len,
                time_cost=self.time_cost,
                memory_cost=self.memory_cost,
                parallelism=self.parallelism,
            )
        )


# OWASP Password Storage Cheat Sheet, argon2id minimum: m=19 MiB, t=2, p=1.
# Chosen over argon2-cffi's RFC 9106 default (64 MiB) so that a burst of
# logins cannot push a worker's memory up by hundreds of MiB.
STAFF_PROFILE = PasswordProfile(time_cost=2, memory_cost=19456, parallelism=1)

# FOR TESTS ONLY: far too cheap to protect anything.
TEST_PROFILE = PasswordProfile(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8)


@dataclass(frozen=True)
class PasswordCheck:
    """A verify's result: whether it matched, and a new hash to store if the profile changed."""

    ok: bool
    new_hash: str | None = None


def hash_password(password: str, *, profile: PasswordProfile) -> str:
    """Return the argon2id hash of a password."""
    return profile.hasher().hash(password)


def verify_password(stored_hash: str, password: str, *, profile: PasswordProfile) -> PasswordCheck:
    """Verify a password, then say whether to store a rehash under the current profile."""
    hasher = profile.hasher()
    try:
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return PasswordCheck(ok=False)
    if hasher.check_needs_rehash(stored_hash):
        return PasswordCheck(ok=True, new_hash=hasher.hash(password))
    return PasswordCheck(ok=True)


_DUMMY_HASHES: dict[PasswordProfile, str] = {}


def burn_password_time(password: str, *, profile: PasswordProfile) -> None:
    """Spend one verify's time, so an unknown account answers as slowly as a wrong password."""
    dummy = _DUMMY_HASHES.get(profile)
    if dummy is None:
        dummy = _DUMMY_HASHES.setdefault(profile, hash_password("not a password", profile=profile))
    verify_password(dummy, password, profile=profile)
