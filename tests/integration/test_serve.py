"""`diskret serve`: its argon2 bound, body cap and slow clients; gunicorn's lines name nobody."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import crypto
from service.privacy_audit import kinds_in
from tests.support.processes import serving_on_sqlite

BIG = 150 * 1024 * 1024
FAKE_CPR = "010190-1234"  # 1 January 1990, serial 1234: fake, here to prove it is not logged


def test_the_shared_password_slots_are_private_to_the_server_and_gone_after_it(
    tmp_path: Path,
) -> None:
    """While serving, folders only its user can enter (argon2 slots, the workers' metrics);
    once stopped, nothing left behind."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with (
        (tmp_path / "stderr.log").open("w+b") as stderr,
        serving_on_sqlite(tmp_path, stderr, TMPDIR=str(scratch)),
    ):
        while_serving = {path.name[:15]: path.stat().st_mode & 0o777 for path in scratch.iterdir()}

    assert while_serving == {"diskret-argon2-": 0o700, "diskret-metrics": 0o700}
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


def _malformed(code: str) -> list[bytes]:
    """Return request lines gunicorn cannot parse, each quoting a CPR number and a code."""
    return [
        f"GET /{FAKE_CPR}/{code} HTTP/1.1x\r\nHost: x\r\n\r\n".encode(),
        f"G\x01T /{FAKE_CPR.replace('-', '')}/{code} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        f"GET /{FAKE_CPR} {code} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    ]


def _send_raw(base: str, request: bytes) -> bytes:
    """Send bytes on a new connection and return what came back before it closed."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname or "", address.port or 80), timeout=10) as raw:
        raw.sendall(request)
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    return answer


def _serve_malformed(tmp_path: Path, **extra: str) -> tuple[list[str], list[bytes]]:
    """Serve, send the malformed requests, stop; return the log's lines and the answers."""
    code = crypto.generate_token()
    log = tmp_path / "stderr.log"
    with log.open("w+b") as stderr, serving_on_sqlite(tmp_path, stderr, **extra) as base:
        answers = [_send_raw(base, request) for request in _malformed(code)]
    text = log.read_text(encoding="utf-8")
    assert code not in text
    assert code.replace("-", "") not in text
    return text.splitlines(), answers


@pytest.fixture(scope="module")
def malformed_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[bytes]]:
    """Return the JSON log and answers of a server sent three malformed requests."""
    return _serve_malformed(tmp_path_factory.mktemp("serve"))


@pytest.mark.slow
def test_a_malformed_request_is_logged_without_its_line_or_its_sender(
    malformed_json: tuple[list[str], list[bytes]],
) -> None:
    """gunicorn refuses each with 400 and logs one neutral warning: no ip=, CPR, code or address."""
    lines, answers = malformed_json
    records = [json.loads(line) for line in lines]
    messages = [record["message"] for record in records]

    assert all(answer.startswith(b"HTTP/1.1 400") for answer in answers)
    assert messages.count("Invalid request: neither its sender nor its text is logged") == 3
    assert [line for line in lines if kinds_in(line)] == []
    assert not any("ip=" in line or "0101" in line for line in lines)


@pytest.mark.slow
def test_a_served_log_writes_times_to_the_second(
    malformed_json: tuple[list[str], list[bytes]],
) -> None:
    """Every line's time is whole seconds with its offset, never a fraction."""
    times = [json.loads(line)["time"] for line in malformed_json[0]]

    assert times
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", time) for time in times)


@pytest.mark.slow
def test_the_text_format_keeps_gunicorn_lines_as_neutral(tmp_path: Path) -> None:
    """With ``DISKRET_LOG_FORMAT=text`` gunicorn's lines are filtered alike."""
    lines, _ = _serve_malformed(tmp_path, DISKRET_LOG_FORMAT="text")

    assert sum("Invalid request: neither" in line for line in lines) == 3
    assert [line for line in lines if kinds_in(line)] == []
    assert not any("ip=" in line or "0101" in line for line in lines)
