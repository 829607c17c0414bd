"""The server's bound on argon2 computations: per process, per server, turned away when busy."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest

import crypto
from service import passwords


class _Holding:
    """A spy on argon2's verify: the first ``hold`` callers stay inside until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold: int) -> None:
        self.hold = hold
        self.inside = 0
        self.most = 0
        self.entered = 0
        self.changed = threading.Condition()
        self.released = threading.Event()
        self.started = 0
        original = argon2.PasswordHasher.verify

        def spy(hasher: argon2.PasswordHasher, stored: str, password: str) -> bool:
            with self.changed:
                self.entered += 1
                self.inside += 1
                self.most = max(self.most, self.inside)
                stays = self.entered <= self.hold
                self.changed.notify_all()
            try:
                if stays:
                    self.released.wait(timeout=30)
                return original(hasher, stored, password)
            finally:
                with self.changed:
                    self.inside -= 1
                    self.changed.notify_all()

        monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)

    def start(self, stored: str, count: int) -> list[threading.Thread]:
        """Start ``count`` threads that verify, and return once all started so far are inside."""
        threads = [
            threading.Thread(
                target=passwords.verify_password, args=(stored, "pw"), kwargs={"profile": PROFILE}
            )
            for _ in range(count)
        ]
        for thread in threads:
            thread.start()
        self.started += count
        with self.changed:
            assert self.changed.wait_for(lambda: self.inside == self.started, timeout=30)
        return threads

    def finish(self, threads: list[threading.Thread]) -> None:
        """Let the held callers out and wait for their threads."""
        self.released.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)


PROFILE = crypto.TEST_PROFILE


@pytest.fixture(autouse=True)
def _default_concurrency() -> Iterator[None]:
    """Give every test the default bound back, whatever it set, shared slots included."""
    yield
    passwords.reset()


def test_no_more_computations_run_at_once_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """With two slots held by running verifies, a third computation is refused, not run."""
    stored = passwords.hash_password("pw", profile=PROFILE)
    passwords.set_concurrency(2, wait=0)
    holding = _Holding(monkeypatch, hold=2)
    threads = holding.start(stored, 2)

    try:
        with pytest.raises(passwords.PasswordBusyError):
            passwords.verify_password(stored, "pw", profile=PROFILE)
        with pytest.raises(passwords.PasswordBusyError):
            passwords.hash_password("pw", profile=PROFILE)
        with pytest.raises(passwords.PasswordBusyError):
            passwords.burn_password_time("pw", profile=PROFILE)
    finally:
        holding.finish(threads)

    assert holding.most == 2
    assert holding.entered == 2
    assert passwords.verify_password(stored, "pw", profile=PROFILE).ok


def test_a_caller_waits_for_a_free_slot_when_no_wait_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With one slot held and no bound on the wait, a second verify runs once the slot frees."""
    stored = passwords.hash_password("pw", profile=PROFILE)
    passwords.set_concurrency(1)
    holding = _Holding(monkeypatch, hold=1)
    threads = holding.start(stored, 1)
    results: list[crypto.PasswordCheck] = []
    waiting = threading.Thread(
        target=lambda: results.append(passwords.verify_password(stored, "pw", profile=PROFILE))
    )

    waiting.start()
    holding.finish([*threads, waiting])

    assert results == [crypto.PasswordCheck(ok=True)]
    assert holding.most == 1


def test_the_busy_error_says_nothing_of_the_password() -> None:
    """PasswordBusyError's text repeats no input."""

    error = passwords.PasswordBusyError()

    assert "pw" not in str(error)


def test_setting_the_same_bound_again_keeps_its_slots_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An app created again with the same setting does not open fresh slots beside held ones."""
    stored = passwords.hash_password("pw", profile=PROFILE)
    passwords.set_concurrency(1, wait=0)
    holding = _Holding(monkeypatch, hold=1)
    threads = holding.start(stored, 1)

    try:
        passwords.set_concurrency(1, wait=0)
        with pytest.raises(passwords.PasswordBusyError):
            passwords.verify_password(stored, "pw", profile=PROFILE)
    finally:
        holding.finish(threads)


def test_a_new_bound_applies_to_callers_that_come_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Raising the limit from 1 to 2 lets a new caller run beside one held under the old bound."""
    stored = passwords.hash_password("pw", profile=PROFILE)
    passwords.set_concurrency(1, wait=0)
    holding = _Holding(monkeypatch, hold=1)
    threads = holding.start(stored, 1)

    try:
        passwords.set_concurrency(2, wait=0)
        check = passwords.verify_password(stored, "pw", profile=PROFILE)
    finally:
        holding.finish(threads)

    assert check.ok
    assert holding.most == 2


def test_a_forked_child_starts_with_free_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork hook gives a child the parent's limit with none of the slots the parent held."""
    stored = passwords.hash_password("pw", profile=PROFILE)
    passwords.set_concurrency(1, wait=0)
    holding = _Holding(monkeypatch, hold=2)
    threads = holding.start(stored, 1)

    try:
        passwords._after_fork()  # what os.register_at_fork runs in the child
        threads += holding.start(stored, 1)
        with pytest.raises(passwords.PasswordBusyError):
            passwords.hash_password("pw", profile=PROFILE)
    finally:
        holding.finish(threads)

    assert holding.most == 2


# Another worker of the same server, holding the one shared slot until it is killed.
_OTHER_WORKER = """
import fcntl, os, sys, time
held = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(held, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def test_a_slot_shared_with_another_process_turns_callers_away_until_that_process_dies(
    tmp_path: Path,
) -> None:
    """The shared bound counts other processes; a killed holder cannot keep its slot."""
    stored = passwords.hash_password("pw", profile=PROFILE)
    passwords.set_concurrency(2, wait=0)
    passwords.share_slots(1, str(tmp_path))
    with subprocess.Popen(
        [sys.executable, "-c", _OTHER_WORKER, str(tmp_path / "slot-0")],
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        try:
            assert other.stdout is not None
            assert other.stdout.readline() == "held\n"
            with pytest.raises(passwords.PasswordBusyError):
                passwords.verify_password(stored, "pw", profile=PROFILE)
        finally:
            other.kill()

    assert passwords.verify_password(stored, "pw", profile=PROFILE).ok


def _one_shared_slot_held(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, wait: float
) -> tuple[str, _Holding, list[threading.Thread]]:
    """Allow two computations in the process and one shared, and park a verify in the one."""
    stored = passwords.hash_password("pw", profile=PROFILE)
    passwords.set_concurrency(2, wait=wait)
    passwords.share_slots(1, str(tmp_path))
    holding = _Holding(monkeypatch, hold=1)
    return stored, holding, holding.start(stored, 1)


def test_the_shared_bound_holds_when_the_process_allows_more(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two slots in the process but one shared: a second verify beside a running one is refused."""
    stored, holding, threads = _one_shared_slot_held(monkeypatch, tmp_path, wait=0)

    try:
        with pytest.raises(passwords.PasswordBusyError):
            passwords.hash_password("pw", profile=PROFILE)
    finally:
        holding.finish(threads)

    assert holding.most == 1
    assert passwords.verify_password(stored, "pw", profile=PROFILE).ok
    assert sorted(path.name for path in tmp_path.iterdir()) == ["slot-0"]
    assert (tmp_path / "slot-0").stat().st_mode & 0o777 == 0o600


def test_a_caller_waits_for_a_shared_slot_within_its_wait(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With a wait, a caller turned away by the shared slot runs once it frees in time."""
    stored, holding, threads = _one_shared_slot_held(monkeypatch, tmp_path, wait=10)
    turned_away = threading.Event()
    flock = fcntl.flock

    def spy(held: int, operation: int) -> None:
        try:
            flock(held, operation)
        except BlockingIOError:
            turned_away.set()
            raise

    monkeypatch.setattr(fcntl, "flock", spy)
    results: list[crypto.PasswordCheck] = []
    waiting = threading.Thread(
        target=lambda: results.append(passwords.verify_password(stored, "pw", profile=PROFILE))
    )

    waiting.start()
    assert turned_away.wait(timeout=30)
    holding.finish([*threads, waiting])

    assert results == [crypto.PasswordCheck(ok=True)]
    assert holding.most == 1


def test_a_shared_bound_without_slots_is_refused(tmp_path: Path) -> None:
    """A shared limit below 1 is refused at once."""

    with pytest.raises(ValueError, match="password"):
        passwords.share_slots(0, str(tmp_path))


@pytest.mark.parametrize(
    ("limit", "wait", "nice"), [(0, None, 0), (1, -0.5, 0), (1, None, -1), (1, None, 20)]
)
def test_a_bound_without_slots_or_with_a_negative_wait_or_a_bad_nice_is_refused(
    limit: int, wait: float | None, nice: int
) -> None:
    """A limit below 1, a negative wait or a nice outside 0-19 is refused at once."""

    with pytest.raises(ValueError, match="password"):
        passwords.set_concurrency(limit, wait=wait, nice=nice)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_threads_that_compute_run_at_a_lower_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nice=5 a hash runs on a thread whose nice value is the process's plus 5."""
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    passwords.set_concurrency(1, nice=5)
    seen: list[int] = []
    original = argon2.PasswordHasher.hash

    def spy(hasher: argon2.PasswordHasher, password: str, *, salt: bytes | None = None) -> str:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return original(hasher, password, salt=salt)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", spy)

    passwords.hash_password("pw", profile=PROFILE)

    assert seen == [min(own + 5, 19)]
