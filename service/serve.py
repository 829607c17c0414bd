"""Production serving under gunicorn, configured from the command line (SPEC section 6).

Each worker listens on a TCP socket of its own (SO_REUSEPORT) and the kernel
spreads new connections over them. On one shared socket the worker whose
accept loop comes round first takes them, and a client that keeps its
connection (a proxy's keep-alive pool) stays queued on the busier worker
(docs/performance.md). Linux lets only the same user bind the port again. A
Unix socket's path cannot be shared, so it is served the ordinary way.
"""

from __future__ import annotations

import gc
import os
import shutil
import socket
import tempfile
from typing import Any

from flask import Flask
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from prometheus_client import multiprocess
from sqlalchemy.orm import configure_mappers

from service import logs, metrics, passwords


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn running an already created app, with no access log (it would carry addresses)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply the options gunicorn knows."""
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        """Return the app each worker serves."""
        return self.application


class ServerLogger(Logger):  # type: ignore[misc]
    """gunicorn's own lines (start, workers, failures) without addresses or request lines."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then filter what its loggers write."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(logs.ServerLines())


class JsonLogger(ServerLogger):
    """gunicorn's own lines as JSON lines, like the app's."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then give them the JSON formatter."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.JsonLines())


class CannotListen(Exception):
    """The address to serve on cannot be bound: something listens there, or it is not ours."""


def _refuse_taken(bind: str, host: str, port: int) -> None:
    """Raise CannotListen now if the address cannot be bound (something listens there already).

    gunicorn's master binds nothing when each worker binds for itself, and a
    worker that cannot bind is started again every few seconds, for ever;
    this keeps the refusal that a shared socket gives at once. The probe asks
    for no SO_REUSEPORT, so another `diskret serve` on the port counts too.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        socket.create_server((host, port), family=family).close()
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise CannotListen(f"Cannot listen on {bind}: {reason}.") from error


def _worker_started(_worker: Any) -> None:
    metrics.serving()


def _worker_exited(_server: Any, worker: Any) -> None:
    # A dead worker's gauges leave the sums; its counters stay in them.
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def metrics_address(bind: str) -> tuple[str, int]:
    """Return the host and port of ``--metrics-bind``, or raise ValueError."""
    try:
        address = util.parse_address(bind)
    except RuntimeError as error:  # gunicorn's word for a port that is not a number
        raise ValueError(str(error)) from None
    if not isinstance(address, tuple):
        raise ValueError("the metrics address is a host and a port, such as 127.0.0.1:9100")
    host, port = address
    return str(host), int(port)


def serve(
    app: Flask, *, bind: str, workers: int, threads: int, metrics_bind: str | None = None
) -> None:
    """Serve the app with gunicorn until stopped; ``/metrics`` also on ``metrics_bind``."""
    # A host and port; a Unix socket's path or an inherited fd is not a tuple.
    address = util.parse_address(bind)
    binds = [bind]
    if metrics_bind is not None:
        app.config["METRICS_BIND"] = metrics_address(metrics_bind)
        # The port tells a request for the metrics address from one for the app.
        if isinstance(address, tuple) and address[1] == app.config["METRICS_BIND"][1]:
            raise CannotListen(f"The metrics address {metrics_bind} needs a port of its own.")
        binds.append(metrics_bind)
    options = {
        "bind": binds,
        "workers": workers,
        "threads": threads,
        # gthread, except that a pool thread never waits for a slow client's
        # bytes: slow senders cannot take every thread (service.patient_worker).
        "worker_class": "service.patient_worker.PatientWorker",
        # gunicorn's access log is off unless set; it stays off: the app's own
        # request log carries neither address nor query string (SPEC P3).
        "accesslog": None,
        "forwarded_allow_ips": "127.0.0.1",
        "timeout": 30,
        "graceful_timeout": 20,
        # gunicorn 25.1+ opens a control socket in $HOME, which a read-only
        # container lacks and two instances on one host would share; nothing uses it.
        "control_socket_disable": True,
        # A socket of each worker's own (see the module docstring).
        "reuse_port": isinstance(address, tuple),
        "post_worker_init": _worker_started,
        "child_exit": _worker_exited,
    }
    if isinstance(address, tuple):
        _refuse_taken(bind, *address)
    if metrics_bind is not None:
        _refuse_taken(metrics_bind, *app.config["METRICS_BIND"])
    options["logger_class"] = JsonLogger if app.config["LOG_FORMAT"] == "json" else ServerLogger
    # The argon2 bound of the whole server, shared by its workers through a
    # folder only this server can write (docs/performance.md, "The bound").
    slots = tempfile.mkdtemp(prefix="diskret-argon2-")
    passwords.share_slots(app.config["PASSWORD_SERVER_CONCURRENCY"], slots)
    # The workers' metric values, summed at each scrape: a folder of this
    # server's own, made before they fork, removed with the server.
    shared_metrics = tempfile.mkdtemp(prefix="diskret-metrics-")
    metrics.share_between_workers(shared_metrics)
    master = os.getpid()
    # The mappers' relationships are resolved on first use: here, once for
    # every worker, not on each worker's first request (about 30 ms there).
    configure_mappers()
    # What exists before the workers fork (the app, every import) lives as
    # long as the server. Frozen, it is left out of the workers' collections:
    # otherwise each full collection walks it all, about 0.1 s with the GIL
    # held, and every request of that worker waits (docs/performance.md).
    gc.freeze()
    try:
        Server(app, options).run()
    finally:
        # A worker leaves through here too (it was forked inside run()).
        if os.getpid() == master:
            shutil.rmtree(slots, ignore_errors=True)
            metrics.stop_sharing()
            shutil.rmtree(shared_metrics, ignore_errors=True)
