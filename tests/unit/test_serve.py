"""`diskret serve`: what it freezes before forking, and how its workers listen."""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service import config, metrics, serve


@pytest.fixture
def _unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


SHARE_METRICS = metrics.share_between_workers


@pytest.fixture(autouse=True)
def _no_shared_slots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The server-wide argon2 slots and metrics folder are process-wide state;
    # these tests leave them alone.
    monkeypatch.setattr("service.serve.passwords.share_slots", lambda *_: None)
    monkeypatch.setattr("service.serve.metrics.share_between_workers", lambda *_: None)
    monkeypatch.setattr("service.serve.tempfile.mkdtemp", lambda **_: str(tmp_path / "slots"))


def _app() -> Flask:
    app = Flask(__name__)
    app.config.update(LOG_FORMAT="text", PASSWORD_SERVER_CONCURRENCY=1)
    return app


@pytest.mark.usefixtures("_unfrozen")
def test_what_exists_before_the_workers_fork_is_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """When gunicorn starts forking, the app and its imports are in the permanent generation."""
    frozen_at_start: list[int] = []
    monkeypatch.setattr(
        serve.Server, "run", lambda _: frozen_at_start.append(gc.get_freeze_count())
    )

    serve.serve(_app(), bind="127.0.0.1:0", workers=1, threads=1)

    assert len(frozen_at_start) == 1
    assert frozen_at_start[0] > 10_000  # the app and its imports, not a handful of objects


def test_the_mappers_are_configured_before_the_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolved in the master, the mappers are frozen with the app, not built per worker."""
    done: list[str] = []
    monkeypatch.setattr("service.serve.configure_mappers", lambda: done.append("mappers"))
    monkeypatch.setattr("service.serve.gc.freeze", lambda: done.append("freeze"))
    monkeypatch.setattr(serve.Server, "run", lambda _: done.append("run"))

    serve.serve(_app(), bind="127.0.0.1:0", workers=1, threads=1)

    assert done == ["mappers", "freeze", "run"]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Stand in for gunicorn's run: record whether each worker would bind for itself."""
    configured: list[bool] = []
    monkeypatch.setattr(serve.Server, "run", lambda self: configured.append(self.cfg.reuse_port))
    monkeypatch.setattr("service.serve.gc.freeze", lambda: None)
    return configured


@pytest.mark.parametrize(
    ("bind", "own_sockets"),
    [("127.0.0.1:0", True), ("tcp://127.0.0.1:0", True), ("unix:/run/diskret.sock", False)],
)
def test_each_worker_listens_on_a_tcp_socket_of_its_own(
    bind: str, own_sockets: bool, started: list[bool]
) -> None:
    """SO_REUSEPORT for an address and port; a Unix socket's path is shared as it is."""
    serve.serve(_app(), bind=bind, workers=2, threads=1)

    assert started == [own_sockets]


def test_an_address_something_listens_on_is_refused_before_gunicorn_starts(
    started: list[bool],
) -> None:
    """As with one shared socket: a clear refusal at once, not workers failing for ever."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(serve.CannotListen, match=f"127.0.0.1:{port}"):
            serve.serve(_app(), bind=f"127.0.0.1:{port}", workers=2, threads=1)

    assert started == []


def test_the_proxy_reads_whole_requests_before_the_apps_see_them() -> None:
    """compose's nginx buffers requests and answers, drops slow senders, caps bodies as the app."""
    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()
    directives = dict(
        line.strip().rstrip(";").split(None, 1)
        for line in conf.splitlines()
        if line.strip().endswith(";") and not line.strip().startswith("#")
    )

    assert directives["proxy_request_buffering"] == directives["proxy_buffering"] == "on"
    assert directives["client_header_timeout"] == directives["client_body_timeout"] == "10s"
    assert directives["client_max_body_size"] == "64k"
    assert config.from_environ({})["MAX_CONTENT_LENGTH"] == 64 * 1024


def test_the_workers_share_a_metrics_folder_set_up_before_they_fork(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """While gunicorn runs, metric values go to the server's folder and a dead worker is
    marked as such; once it stops, the process keeps its values in memory again."""
    monkeypatch.setattr("service.serve.metrics.share_between_workers", SHARE_METRICS)
    monkeypatch.setattr("service.serve.gc.freeze", lambda: None)
    seen: list[object] = []

    def run(server: serve.Server) -> None:
        seen.extend([os.environ.get(metrics.MULTIPROC_DIR), metrics.multiprocess()])
        seen.extend([server.cfg.child_exit, server.cfg.post_worker_init])

    monkeypatch.setattr(serve.Server, "run", run)

    serve.serve(_app(), bind="127.0.0.1:0", workers=2, threads=1)

    assert seen[:2] == [str(tmp_path / "slots"), True]
    assert seen[2:] == [serve._worker_exited, serve._worker_started]
    assert not metrics.multiprocess()


def test_a_metrics_address_on_the_apps_port_is_refused_before_gunicorn_starts(
    started: list[bool],
) -> None:
    """The port tells the two listeners apart, so the metrics address needs one of its own."""

    with pytest.raises(serve.CannotListen, match="needs a port of its own"):
        serve.serve(
            _app(), bind="10.0.0.1:8000", workers=2, threads=1, metrics_bind="127.0.0.1:8000"
        )

    assert started == []
