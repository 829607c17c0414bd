"""Start app processes on loopback ports and wait until they answer."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from tests.conftest import TEST_TOKEN_KEY
from tests.support import databases

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def diskret(*arguments: str) -> list[str]:
    """Return the command line of ``diskret`` with its arguments, run from this checkout."""
    return [sys.executable, "-c", "from service.cli import main; main()", *arguments]


def werkzeug_server(port: int) -> list[str]:
    """Return the command of a threaded werkzeug server of the app on a port."""
    return [sys.executable, "-m", "tests.support.server", str(port)]


def gunicorn_server(port: int) -> list[str]:
    """Return the command of ``diskret serve`` on a port: gunicorn, two workers, as deployed."""
    return diskret("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2")


@contextmanager
def app_processes(
    count: int,
    environment: dict[str, str],
    command: Callable[[int], list[str]] = werkzeug_server,
) -> Iterator[list[str]]:
    """Run ``count`` app processes and yield their base URLs; stop them afterwards.

    Each process writes its log to a file of its own, never to a pipe: a pipe
    nobody reads fills up, and a server blocked on writing its log neither
    answers nor stops.
    """
    ports = [free_port() for _ in range(count)]
    env = {**os.environ, **environment}
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in ports]
        children = [
            subprocess.Popen(
                command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
            )
            for port, log in zip(ports, logs, strict=True)
        ]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            for url, child, log in zip(urls, children, logs, strict=True):
                wait_until_up(url, child, log)
            yield urls
        finally:
            for child in children:
                child.terminate()
            for child in children:
                stop(child)


def stop(child: subprocess.Popen[bytes], grace: float = 30) -> None:
    """Wait for a terminated process to end, killing it if it takes longer than ``grace``."""
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def wait_until_up(url: str, child: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Wait until the process answers HTTP at url, or fail with what it logged."""
    # `diskret demo` first plays half a year of made-up courses through the
    # rules, which takes a few seconds alone and far longer on a busy machine.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if child.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"app process exited early:\n{log.read().decode()}")
        try:
            httpx.get(f"{url}/api/v1/municipalities", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"app process at {url} did not answer in time")


@contextmanager
def running(
    command: list[str], port: int, environment: dict[str, str], log: IO[bytes]
) -> Iterator[str]:
    """Run an app process that listens on ``port``; yield its base URL once it answers; stop it.

    Its stderr goes to ``log``, a file (never a pipe, see ``app_processes``).
    """
    child = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, child, log)
        yield url
    finally:
        child.terminate()
        stop(child)


@contextmanager
def serving_on_sqlite(tmp_path: Path, log: IO[bytes], **extra: str) -> Iterator[str]:
    """Run `diskret serve` (one worker) on a migrated SQLite file; yield its base URL; stop it."""
    port = free_port()
    command = diskret(
        "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--single-process-sqlite"
    )
    with running(command, port, served_on_sqlite(tmp_path, **extra), log) as url:
        yield url


def served_on_sqlite(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Migrate a SQLite file and return the environment `diskret serve` needs to serve it.

    This process's own ``DISKRET_*`` settings are left out, so that only the
    file, the test secrets and ``extra`` reach the server.
    """
    url = databases.sqlite_url(tmp_path)
    databases.migrated_engine(url).dispose()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DISKRET_")}
    return environment | {
        "DISKRET_DATABASE_URL": url,
        "DISKRET_SECRET_KEY": "test-only-secret-key-not-for-production-use",
        "DISKRET_TOKEN_KEY": TEST_TOKEN_KEY,
        **extra,
    }
