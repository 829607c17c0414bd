"""The serving process's bound on argon2 computations, around the pure ``crypto`` functions.

Every hash and verify runs on one of a few threads kept for argon2 alone, at
most ``limit`` at a time in a process (``set_concurrency``). Each computation
holds ``memory_cost`` KiB, so a flood of sign-ins costs a process at most
``limit`` times that. A semaphore around the caller's own thread would bound
the computations but not the memory: glibc keeps a block freed by a thread in
that thread's malloc arena, so every request thread that ever hashed would
keep its 19 MiB resident.

``share_slots`` also bounds the computations of every process that shares a
folder (the workers of one server): each holds an exclusive ``flock`` on one
of the folder's slot files while it computes. The kernel drops such a lock
when its holder closes the file or dies, so a worker that is killed mid-hash
cannot keep a slot.

The rules hash and verify through this module, never through ``crypto``
directly, so that no computation escapes the bound.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import crypto
from service import metrics

Result = TypeVar("Result")

_LINUX = sys.platform.startswith("linux")


class PasswordBusyError(Exception):
    """Every password slot stayed taken for as long as a caller may wait; nothing was computed."""

    def __init__(self) -> None:
        super().__init__("too many password computations at once; try again shortly")


def _lower_priority(nice: int) -> None:
    # Linux keeps a nice value per thread: raising this one's lets every other
    # thread of the process, such as a citizen's request, have the CPU first.
    thread = threading.get_native_id()
    os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + nice)


@dataclass(frozen=True)
class _Shared:
    """At most ``limit`` computations at once among the processes that share ``folder``."""

    folder: str
    limit: int

    def take(self, deadline: float | None) -> int | None:
        """Lock a free slot file and return its descriptor, or None once ``deadline`` passed."""
        while True:
            for slot in range(self.limit):
                path = os.path.join(self.folder, f"slot-{slot}")
                held = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(held)
                    continue
                return held
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.005)


class _Workers:
    """At most ``limit`` argon2 computations at once, each on one of ``limit`` kept threads."""

    def __init__(
        self, limit: int, wait: float | None, nice: int, shared: _Shared | None = None
    ) -> None:
        if limit < 1:
            raise ValueError("the password concurrency is at least 1")
        if wait is not None and wait < 0:
            raise ValueError("the wait for a password slot is not negative")
        if not 0 <= nice <= 19:
            raise ValueError("the password threads' nice is 0 to 19")
        if shared is not None and shared.limit < 1:
            raise ValueError("the shared password concurrency is at least 1")
        self.settings = (limit, wait, nice, shared)
        self.wait = wait
        self.shared = shared
        # The semaphore admits a caller; the pool only ever holds admitted work,
        # so a caller that gives up leaves nothing queued behind it.
        self._slots = threading.BoundedSemaphore(limit)
        self._threads = ThreadPoolExecutor(
            limit,
            thread_name_prefix="argon2",
            # Elsewhere than on Linux a nice value is the whole process's: left alone.
            initializer=functools.partial(_lower_priority, nice) if nice and _LINUX else None,
        )

    def run(self, work: Callable[[], Result]) -> Result:
        """Run ``work`` on an argon2 thread once a slot is free, or refuse after ``wait``."""
        started = time.monotonic()
        deadline = None if self.wait is None else started + self.wait
        if not self._slots.acquire(timeout=self.wait):
            metrics.password_waited(time.monotonic() - started, computed=False)
            raise PasswordBusyError()
        try:
            held = self.shared.take(deadline) if self.shared is not None else None
            got = self.shared is None or held is not None
            metrics.password_waited(time.monotonic() - started, computed=got)
            if not got:
                raise PasswordBusyError()
            try:
                return self._threads.submit(work).result()
            finally:
                if held is not None:
                    os.close(held)
        finally:
            self._slots.release()


DEFAULT_CONCURRENCY = 2
_workers = _Workers(DEFAULT_CONCURRENCY, None, 0)


def set_concurrency(limit: int, *, wait: float | None = None, nice: int = 0) -> None:
    """Allow at most ``limit`` argon2 computations at once in this process.

    A caller waits for a free slot for at most ``wait`` seconds (forever when
    None) and then gets ``PasswordBusyError``: a flood of sign-ins is turned
    away instead of queueing in front of every other request. On Linux,
    ``nice`` (0 to 19) raises the nice value of the threads that compute, so
    that under load they get the CPU after everything else.
    """
    _replace(limit, wait, nice, _workers.shared)


def share_slots(limit: int, folder: str) -> None:
    """Also allow at most ``limit`` computations at once among all processes sharing ``folder``.

    For the workers of one server on one machine: however their requests
    fall, no more than ``limit`` of them hash at once, and the rest of the
    workers stay free for everyone else. ``folder`` must be private to the
    server (mode 0700): whoever can lock its files can hold the slots.
    """
    limit_here, wait, nice, _ = _workers.settings
    _replace(limit_here, wait, nice, _Shared(folder, limit))


def reset() -> None:
    """Go back to the default bound of a process that configured none, shared slots dropped."""
    _replace(DEFAULT_CONCURRENCY, None, 0, None)


def _replace(limit: int, wait: float | None, nice: int, shared: _Shared | None) -> None:
    global _workers  # noqa: PLW0603 - one bound per process, as argon2's memory is the process's
    if (limit, wait, nice, shared) != _workers.settings:
        # Callers already inside the old bound finish there; its idle threads
        # end once nothing refers to it any more.
        _workers = _Workers(limit, wait, nice, shared)


def _after_fork() -> None:
    # A forked child (a gunicorn worker) inherits neither the parent's threads
    # nor slots they held: it starts with fresh ones of the same settings.
    global _workers  # noqa: PLW0603 - see _replace
    _workers = _Workers(*_workers.settings)


os.register_at_fork(after_in_child=_after_fork)


def hash_password(password: str, *, profile: crypto.PasswordProfile) -> str:
    """Return the argon2id hash of a password, computed within the bound."""
    return _workers.run(lambda: crypto.hash_password(password, profile=profile))


def verify_password(
    stored_hash: str, password: str, *, profile: crypto.PasswordProfile
) -> crypto.PasswordCheck:
    """Verify a password within the bound, and say whether to store a rehash."""
    return _workers.run(lambda: crypto.verify_password(stored_hash, password, profile=profile))


def burn_password_time(password: str, *, profile: crypto.PasswordProfile) -> None:
    """Spend one verify's time within the bound, as a wrong password would."""
    _workers.run(lambda: crypto.burn_password_time(password, profile=profile))
