"""`diskret serve` logs one JSON object per line: method, path, status, duration, no address."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import serving_on_sqlite

CLIENT_ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737): documentation only.
QUERY_VALUE = "query-value-that-must-not-be-logged"
TOKEN = "7K3M-Q9TD-0PXA-H2RW-B5NE"
REQUEST_FIELDS = {"time", "level", "logger", "message", "method", "path", "status", "duration_ms"}
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def _serve_and_collect(tmp_path: Path) -> list[str]:
    """Serve on a migrated SQLite file, send three requests from a forwarded address, stop."""
    log_file = tmp_path / "stderr.log"
    # One trusted proxy, so the forwarded address becomes the client address.
    with (
        log_file.open("w+b") as stderr,
        serving_on_sqlite(tmp_path, stderr, DISKRET_PROXY_COUNT="1") as base,
    ):
        headers = {"X-Forwarded-For": CLIENT_ADDRESS}
        httpx.get(f"{base}/api/v1/municipalities?q={QUERY_VALUE}", headers=headers)
        httpx.get(f"{base}/api/v1/me", headers={**headers, "Authorization": f"Bearer {TOKEN}"})
        httpx.post(f"{base}/api/v1/courses", json={"home_municipality": "101"}, headers=headers)
    return log_file.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def served_lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Return every line `diskret serve` wrote to stderr while serving three requests."""
    return _serve_and_collect(tmp_path_factory.mktemp("serve"))


def _request_records(lines: list[str]) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in lines]
    return [r for r in records if r["logger"] == "diskret.request" and r["path"] != "/healthz"]


@pytest.mark.slow
def test_every_line_is_one_json_object(served_lines: list[str]) -> None:
    """gunicorn's lines and the app's alike: each line parses as a JSON object on its own."""

    records = [json.loads(line) for line in served_lines]

    assert records
    assert all(isinstance(record, dict) for record in records)
    assert {"gunicorn.error", "diskret.request"} <= {record["logger"] for record in records}


@pytest.mark.slow
def test_request_lines_hold_method_path_status_and_duration_only(served_lines: list[str]) -> None:
    """Each request line has exactly the request fields, the path without its query string."""

    records = _request_records(served_lines)

    seen = {(r["method"], r["path"], r["status"]) for r in records}
    assert {
        ("GET", "/api/v1/municipalities", 200),
        ("GET", "/api/v1/me", 401),
        ("POST", "/api/v1/courses", 422),
    } <= seen
    assert all(set(record) == REQUEST_FIELDS for record in records)
    assert all(isinstance(record["duration_ms"], float) for record in records)
    assert not any(IPV4.search(json.dumps(record)) for record in records)


@pytest.mark.slow
def test_no_line_holds_the_address_the_query_or_the_token(served_lines: list[str]) -> None:
    """Neither the client's address, nor a query value, nor a bearer token is written anywhere."""

    text = "\n".join(served_lines)

    assert served_lines
    for secret in (CLIENT_ADDRESS, QUERY_VALUE, TOKEN, TOKEN.replace("-", "")):
        assert secret not in text
