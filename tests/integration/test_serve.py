"""`diskret serve`: argon2 bounded through a folder of its own; gunicorn's lines name nobody."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import crypto
from service.privacy_audit import kinds_in
from tests.support.processes import serving_on_sqlite

FAKE_CPR = "010190-1234"  # 1 January 1990, serial 1234: fake, here to prove it is not logged


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
