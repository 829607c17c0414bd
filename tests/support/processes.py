"""Start app processes on loopback ports and wait until they answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

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
    """Run ``count`` app processes and yield their base URLs; stop them afterwards."""
    ports = [free_port() for _ in range(count)]
    env = {**os.environ, **environment}
    children = [
        subprocess.Popen(
            command(port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, child in zip(urls, children, strict=True):
            wait_until_up(url, child)
        yield urls
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=10)
            if child.stderr:
                child.stderr.close()


def wait_until_up(url: str, child: subprocess.Popen[bytes]) -> None:
    """Wait until the process answers HTTP at url, or fail with what it printed."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if child.poll() is not None:
            error = child.stderr.read().decode() if child.stderr else ""
            raise RuntimeError(f"app process exited early:\n{error}")
        try:
            httpx.get(f"{url}/api/v1/municipalities", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"app process at {url} did not answer in time")
