"""`diskret serve` freezes what it made before forking out of its workers' collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service import serve


@pytest.fixture
def _unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("_unfrozen")
def test_what_exists_before_the_workers_fork_is_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When gunicorn starts forking, the app and its imports are in the permanent generation."""
    app = Flask(__name__)
    app.config.update(LOG_FORMAT="text", PASSWORD_SERVER_CONCURRENCY=1)
    frozen_at_start: list[int] = []
    monkeypatch.setattr(
        serve.Server, "run", lambda _: frozen_at_start.append(gc.get_freeze_count())
    )
    # The server-wide argon2 slots are process-wide state; this test leaves them alone.
    monkeypatch.setattr("service.serve.crypto.share_password_slots", lambda *_: None)
    monkeypatch.setattr("service.serve.tempfile.mkdtemp", lambda **_: str(tmp_path / "slots"))

    serve.serve(app, bind="127.0.0.1:0", workers=1, threads=1)

    assert len(frozen_at_start) == 1
    assert frozen_at_start[0] > 10_000  # the app and its imports, not a handful of objects
