"""Staff passwords: argon2id with named profiles, verify then rehash."""

from __future__ import annotations

import ast
from pathlib import Path

import argon2
import pytest

import crypto


def test_the_staff_profile_is_owasps_argon2id_minimum() -> None:
    """STAFF_PROFILE encodes as argon2id with m=19456 KiB, t=2, p=1."""

    stored = crypto.hash_password("correct horse", profile=crypto.STAFF_PROFILE)

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_right_password_verifies_without_rehash() -> None:
    """A password checked under the profile it was hashed with needs no new hash."""
    stored = crypto.hash_password("pw one", profile=crypto.TEST_PROFILE)

    check = crypto.verify_password(stored, "pw one", profile=crypto.TEST_PROFILE)

    assert check == crypto.PasswordCheck(ok=True, new_hash=None)


def test_a_wrong_password_fails() -> None:
    """A wrong password gives ok=False and no hash."""
    stored = crypto.hash_password("pw one", profile=crypto.TEST_PROFILE)

    check = crypto.verify_password(stored, "pw two", profile=crypto.TEST_PROFILE)

    assert check == crypto.PasswordCheck(ok=False)


def test_a_garbage_hash_fails_quietly() -> None:
    """A stored value that is no argon2 hash gives ok=False instead of raising."""

    check = crypto.verify_password("not a hash", "pw", profile=crypto.TEST_PROFILE)

    assert not check.ok


def test_a_changed_profile_gives_a_new_hash_to_store() -> None:
    """After the profile changes, a successful verify returns a hash under the new profile."""
    stored = crypto.hash_password("pw", profile=crypto.TEST_PROFILE)
    stronger = crypto.PasswordProfile(time_cost=2, memory_cost=16, parallelism=1)

    check = crypto.verify_password(stored, "pw", profile=stronger)

    assert check.ok
    assert check.new_hash is not None
    assert crypto.verify_password(check.new_hash, "pw", profile=stronger) == crypto.PasswordCheck(
        ok=True
    )


def test_burning_time_for_an_unknown_account_runs_a_full_verify(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """burn_password_time runs one real argon2 verify per call, like a wrong password would."""
    verified: list[str] = []
    original = argon2.PasswordHasher.verify

    def spy(self: argon2.PasswordHasher, stored: str, password: str) -> bool:
        verified.append(stored)
        return original(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)

    crypto.burn_password_time("pw", profile=crypto.TEST_PROFILE)
    crypto.burn_password_time("pw", profile=crypto.TEST_PROFILE)

    assert len(verified) == 2
    assert verified[0] == verified[1]
    assert verified[0].startswith("$argon2id$")


def test_the_password_functions_compute_on_the_callers_thread_and_keep_no_process_policy() -> None:
    """crypto/ starts no threads, takes no file locks, changes no priority and hooks no fork."""
    policy_modules = {"threading", "concurrent.futures", "fcntl", "multiprocessing"}
    policy_calls = {"register_at_fork", "setpriority", "flock", "fork"}
    found: list[str] = []
    for path in sorted(Path(crypto.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names if alias.name in policy_modules]
            elif isinstance(node, ast.ImportFrom) and node.module in policy_modules:
                found.append(node.module)
            elif isinstance(node, ast.Attribute) and node.attr in policy_calls:
                found.append(node.attr)
            elif isinstance(node, ast.Global):
                found += node.names

    assert found == []
