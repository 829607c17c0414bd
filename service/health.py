"""Probes for a container runtime or a load balancer: ``/healthz`` and ``/readyz``.

``/healthz`` says only that the process answers HTTP; it asks no dependency,
so a database outage never gets healthy processes restarted. ``/readyz`` says
whether this process can serve requests: the database answers ``SELECT 1``
and, where the rate-limit counters live in Redis, Redis answers ``PING``.

Neither is rate limited: an orchestrator asks them every few seconds from one
address. A failed dependency is named, never described: no URL, host or
password reaches the answer or the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, jsonify
from limits.storage import Storage, storage_from_string
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.db import engine_of
from service.limits import limiter

log = logging.getLogger("diskret.health")
bp = Blueprint("health", __name__)

REDIS_PROBE = "diskret.health.redis"
# A probe that hangs is as bad as one that fails; the runtime's own timeout is a few seconds.
REDIS_TIMEOUT_SECONDS = 2.0


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 while the process serves HTTP, without asking any dependency."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Answer 200 when every dependency answers, else 503 naming the ones that did not."""
    probes = _probes(current_app)
    checks = {name: "ok" if probe(current_app) else "failed" for name, probe in probes.items()}
    ready = all(result == "ok" for result in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def _probes(app: Flask) -> dict[str, Callable[[Flask], bool]]:
    probes: dict[str, Callable[[Flask], bool]] = {"database": _database_answers}
    if REDIS_PROBE in app.extensions:
        probes["redis"] = _redis_answers
    return probes


def _database_answers(app: Flask) -> bool:
    try:
        with engine_of(app).connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        # The driver's message names host, port and user: only the class is logged.
        log.warning("readiness: database unreachable (%s)", type(error).__name__)
        return False
    return True


def _redis_answers(app: Flask) -> bool:
    storage: Storage = app.extensions[REDIS_PROBE]
    if storage.check():
        return True
    log.warning("readiness: redis unreachable")
    return False


def init_app(app: Flask) -> None:
    """Register the probes, exempt from rate limits; probe Redis where the limiter counts there."""
    uri = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or ""
    if uri.startswith("redis"):
        app.extensions[REDIS_PROBE] = storage_from_string(
            uri,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
    limiter.exempt(bp)
    app.register_blueprint(bp)
