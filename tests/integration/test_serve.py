"""`diskret serve`: its argon2 bound, its body cap and slow clients, against a real server."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import serving_on_sqlite

BIG = 150 * 1024 * 1024


def test_the_shared_password_slots_are_private_to_the_server_and_gone_after_it(
    tmp_path: Path,
) -> None:
    """While serving, one folder only its user can enter; once stopped, nothing left behind."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with (
        (tmp_path / "stderr.log").open("w+b") as stderr,
        serving_on_sqlite(tmp_path, stderr, TMPDIR=str(scratch)),
    ):
        while_serving = {path.name[:15]: path.stat().st_mode & 0o777 for path in scratch.iterdir()}

    assert while_serving == {"diskret-argon2-": 0o700}
    assert list(scratch.iterdir()) == []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """Yield the base URL of a `diskret serve` (one worker, its default threads) on SQLite."""
    with (
        (tmp_path / "stderr.log").open("w+b") as stderr,
        serving_on_sqlite(tmp_path, stderr) as url,
    ):
        yield url


def _parent(pid: int) -> int:
    found = re.search(r"^PPid:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M)
    assert found
    return int(found.group(1))


def _worker(url: str) -> int:
    """Return the process id of the one worker serving url: its parent serves url too."""
    bind = url.removeprefix("http://").encode()
    servers = {
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and bind in (entry / "cmdline").read_bytes()
    }
    workers = [pid for pid in servers if _parent(pid) in servers]
    assert len(workers) == 1, workers
    return workers[0]


def _peak_rss_kib(pid: int) -> int:
    """Return the most resident memory the process has held so far (VmHWM, in KiB).

    The peak, not the current figure: a body read whole and freed again
    leaves the current one where it was.
    """
    found = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    assert found
    return int(found.group(1))


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _send_big_body(url: str, *, chunked: bool) -> bytes:
    """Send 150 MB to a route that reads its body unauthenticated; return the answer's start."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG}"
    block = b"a" * 65536
    with _connect(url) as client:
        client.sendall(
            f"POST /api/v1/courses HTTP/1.1\r\nHost: localhost\r\n"
            f"Content-Type: application/json\r\n{framing}\r\n\r\n".encode()
        )
        try:
            for _ in range(BIG // len(block)):
                client.sendall(b"10000\r\n" + block + b"\r\n" if chunked else block)
        except OSError:
            pass  # the server answered and closed the connection: it wants no more
        return client.recv(4096)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_150_mb_body_is_refused_without_growing_the_worker(served: str, chunked: bool) -> None:
    """413 in the envelope, and the worker's peak memory grows by far less than the body."""
    assert httpx.get(f"{served}/api/v1/municipalities").status_code == 200
    worker = _worker(served)
    before = _peak_rss_kib(worker)

    answer = _send_big_body(served, chunked=chunked)

    grown = _peak_rss_kib(worker) - before
    assert grown < 16 * 1024, f"the worker grew by {grown} KiB"
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
    assert b'"code":"payload_too_large"' in answer


def _trickle(url: str, stop: threading.Event, dropped: list[float]) -> None:
    """Send a request's headers one byte a second (slowloris); note when the server drops it."""
    started = time.monotonic()
    with _connect(url) as client:
        # Blocking, so that a read with MSG_DONTWAIT says at once whether anything came.
        client.settimeout(None)
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        while not stop.wait(1):
            try:
                closed = client.recv(1, socket.MSG_DONTWAIT) == b""
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            if not closed:
                try:
                    client.sendall(b"a")
                except OSError:
                    closed = True
            if closed:
                dropped.append(time.monotonic() - started)
                return


def test_eight_slow_clients_do_not_stop_the_server(served: str) -> None:
    """While eight connections send their headers a byte a second, /healthz answers at once.

    Each slow connection is dropped once its request has taken ten seconds
    to arrive (service.patient_worker.ARRIVAL_SECONDS).
    """
    stop = threading.Event()
    dropped: list[float] = []
    slow = [threading.Thread(target=_trickle, args=(served, stop, dropped)) for _ in range(8)]
    for thread in slow:
        thread.start()
    time.sleep(2)  # every slow connection has sent part of its headers

    try:
        answers = []
        for _ in range(3):
            started = time.monotonic()
            response = httpx.get(f"{served}/healthz", timeout=5)
            answers.append((response.status_code, time.monotonic() - started))
            time.sleep(1)
        for thread in slow:
            thread.join(timeout=15)
    finally:
        stop.set()
        for thread in slow:
            thread.join()

    assert [status for status, _ in answers] == [200, 200, 200]
    assert max(seconds for _, seconds in answers) < 1, answers
    assert len(dropped) == 8
    assert all(9 < seconds < 14 for seconds in dropped), dropped


def test_a_body_sent_after_its_head_is_still_read(served: str) -> None:
    """A request whose body comes a moment after its headers gets its answer."""
    body = b'{"token": "0000-0000-0000-0000-0000"}'
    with _connect(served) as client:
        client.sendall(
            b"POST /api/v1/tokens/verify HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
        )
        time.sleep(0.5)
        client.sendall(body[:10])
        time.sleep(0.5)
        client.sendall(body[10:])
        answer = client.recv(4096)

    # No API key: the body was read and the request reached the API's own refusal.
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:100]


def test_a_client_expecting_100_continue_is_told_to_go_on_at_once(served: str) -> None:
    """A head with Expect: 100-continue is served without waiting for its body."""
    body = b'{"token": "0000-0000-0000-0000-0000"}'
    with _connect(served) as client:
        client.sendall(
            b"POST /api/v1/tokens/verify HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
        )
        client.settimeout(0.5)
        told = client.recv(4096)
        client.sendall(body)

    assert told.startswith(b"HTTP/1.1 100 Continue"), told[:100]
