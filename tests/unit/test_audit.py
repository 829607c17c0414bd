"""scripts/audit.py: a vulnerable pin fails, an unreachable database is said loudly, never clean."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.support.scripts import load_script

audit = load_script("scripts/audit.py", "audit")


def test_a_vulnerable_pin_is_named_with_its_fix() -> None:
    """Every vulnerability is listed with the version that fixes it."""
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.0", "vulns": []},
            {
                "name": "werkzeug",
                "version": "3.0.0",
                "vulns": [{"id": "GHSA-0000-test", "fix_versions": ["3.0.6"]}],
            },
            {"name": "private", "skip_reason": "Dependency not found on PyPI"},
        ]
    }

    vulnerable, skipped = audit.verdict(report)

    assert vulnerable == ["werkzeug==3.0.0: GHSA-0000-test (fixed in 3.0.6)"]
    assert skipped == ["private==?: Dependency not found on PyPI"]


@pytest.mark.parametrize(("required", "status"), [(None, 0), ("1", 1)])
def test_not_checked_says_so_and_fails_only_where_required(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    required: str | None,
    status: int,
) -> None:
    """The banner says NOT checked; DISKRET_AUDIT_REQUIRED=1 makes it a failure."""
    if required is None:
        monkeypatch.delenv("DISKRET_AUDIT_REQUIRED", raising=False)
    else:
        monkeypatch.setenv("DISKRET_AUDIT_REQUIRED", required)

    assert audit.not_checked("the mirror holds no vulnerability data") == status
    error = capsys.readouterr().err
    assert "were NOT checked" in error
    assert "clean" not in error


class _Mirror(BaseHTTPRequestHandler):
    """A package index that answers package JSON with or without vulnerability data."""

    documents: ClassVar[dict[str, object]] = {}

    def do_GET(self) -> None:
        document = self.documents.get(self.path)
        body = json.dumps(document).encode()
        self.send_response(200 if document is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing."""


@pytest.fixture
def mirror() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Mirror)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}" + "/pypi/{name}/{version}/json"
    server.shutdown()
    server.server_close()


def test_the_probe_tells_a_mirror_without_vulnerability_data(mirror: str, tmp_path: Path) -> None:
    """A 404 or package JSON without "vulnerabilities" is unreachable; with it, reachable."""
    lock = tmp_path / "test.txt"
    lock.write_text("alembic==1.20.1 \\\n    --hash=sha256:00\n", encoding="utf-8")

    _Mirror.documents = {}
    missing = audit.unreachable(lock, mirror)
    _Mirror.documents = {"/pypi/alembic/1.20.1/json": {"info": {}}}
    bare = audit.unreachable(lock, mirror)
    _Mirror.documents = {"/pypi/alembic/1.20.1/json": {"info": {}, "vulnerabilities": []}}
    served = audit.unreachable(lock, mirror)

    assert missing is not None
    assert "404" in missing
    assert bare is not None
    assert "no vulnerability data" in bare
    assert served is None
