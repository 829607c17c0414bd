"""``/metrics`` for Prometheus: each request counted by its route's rule, and the guard in front.

``/metrics`` answers only a request that came in on the separate metrics
address (``diskret serve --metrics-bind``), or one that carries the bearer
token of ``DISKRET_METRICS_TOKEN``; everything else gets the 404 of an
unknown path, so that without either setting the route does not exist.

What other processes do (``diskret purge``, ``diskret deliver-webhooks``) is
read from the database when Prometheus scrapes: the last purge from the
audit trail, which the purge writes in its own transaction, and the webhook
queue from its rows. Both survive restarts, and any serving process can tell.
"""

from __future__ import annotations

import hmac
import socket
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import SQLAlchemyError

from service import metrics
from service.booking.retention import PURGED
from service.db import engine_of
from service.http.credentials import bearer_credential
from service.limits import limiter
from service.models import AuditEvent, Delivery, DeliveryStatus

bp = Blueprint("monitoring", __name__)
STARTED = "diskret.monitoring.started"


def _on_metrics_socket() -> bool:
    """Say whether this request came in on the address of ``diskret serve --metrics-bind``."""
    bind: tuple[str, int] | None = current_app.config.get("METRICS_BIND")
    sock: socket.socket | None = request.environ.get("gunicorn.socket")
    if bind is None or sock is None:
        return False
    # The socket's own address, not the Host header, which the client writes.
    # Its port alone tells the listeners apart: `diskret serve` refuses a
    # metrics port that the app's own address uses (a Unix socket has none).
    local = sock.getsockname()
    return isinstance(local, tuple) and local[1] == bind[1]


def _token_matches() -> bool:
    expected: str | None = current_app.config.get("METRICS_TOKEN")
    sent = bearer_credential()
    if not expected or sent is None:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


@bp.get("/metrics")
def scrape() -> Response:
    """Answer Prometheus's scrape, to the metrics address or the metrics token only."""
    if not (_on_metrics_socket() or _token_matches()):
        abort(404)
    registry = CollectorRegistry(auto_describe=False)
    if metrics.multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Local())
    registry.register(_Stored(engine_of(current_app)))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _Local(Collector):
    """This process's metrics, when no other process shares them."""

    def collect(self) -> Iterable[Metric]:
        """Yield this process's metrics."""
        return metrics.made().registry.collect()


class _Stored(Collector):
    """What other processes did, as the database tells it at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """Yield the last purge, the last delivered webhook and the webhook queue by status."""
        try:
            with self.engine.connect() as connection:
                purged = connection.scalar(
                    select(func.max(AuditEvent.at)).where(
                        AuditEvent.centre_id.is_(None), AuditEvent.action == PURGED
                    )
                )
                delivered = connection.scalar(select(func.max(Delivery.delivered_at)))
                pending = connection.scalar(
                    select(func.min(Delivery.created_at)).where(
                        Delivery.status == DeliveryStatus.PENDING
                    )
                )
                counts = dict(
                    connection.execute(
                        select(Delivery.status, func.count()).group_by(Delivery.status)
                    ).all()
                )
        except SQLAlchemyError:
            # The readiness probe names the failure; the scrape still answers what it can.
            yield _gauge("diskret_database_up", "Whether the database answered this scrape.", 0)
            return
        yield _gauge("diskret_database_up", "Whether the database answered this scrape.", 1)
        yield _gauge(
            "diskret_purge_last_success_timestamp_seconds",
            "Unix time of the last completed `diskret purge` (0: none kept in the audit trail).",
            _unix(purged),
        )
        yield _gauge(
            "diskret_webhook_last_success_timestamp_seconds",
            "Unix time of the last webhook delivered (0: none kept).",
            _unix(delivered),
        )
        yield _gauge(
            "diskret_webhook_oldest_pending_timestamp_seconds",
            "Unix time the oldest webhook delivery still pending was queued (0: none pending).",
            _unix(pending),
        )
        queue = GaugeMetricFamily(
            "diskret_webhook_deliveries",
            "Webhook deliveries kept, by status (failed: gave up after every retry).",
            labels=("status",),
        )
        for status in DeliveryStatus:
            queue.add_metric((status.value,), counts.get(status, 0))
        yield queue


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _unix(moment: Any) -> float:
    return 0.0 if moment is None else float(moment.timestamp())


def _start_clock(environ: dict[str, Any]) -> None:
    environ[STARTED] = time.perf_counter()


def _count(response: Response) -> Response:
    started = request.environ.get(STARTED)
    rule = request.url_rule
    route = rule.rule if rule is not None else metrics.UNMATCHED
    elapsed = time.perf_counter() - started if started is not None else 0.0
    metrics.request_answered(route, request.method, response.status_code, elapsed)
    return response


def _metrics_socket_serves_metrics_only() -> None:
    if request.endpoint != "monitoring.scrape" and _on_metrics_socket():
        abort(404)


class _Clock:
    """WSGI middleware that notes when a request arrived, before anything else runs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Note the time, then hand the request on."""
        _start_clock(environ)
        return self.app(environ, start_response)


def _watch_pool(engine: Engine) -> None:
    # Counted as connections move, so that the sum over every worker is
    # right whichever worker answers the scrape.
    event.listen(engine, "checkout", lambda *_: metrics.connection_checked_out())
    event.listen(engine, "checkin", lambda *_: metrics.connection_checked_in())


def init_app(app: Flask) -> None:
    """Count every request by its route and serve ``/metrics`` behind its guard."""
    # ``diskret serve --metrics-bind`` sets METRICS_BIND after the app is made.
    app.config.setdefault("METRICS_BIND", None)
    app.wsgi_app = _Clock(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(_metrics_socket_serves_metrics_only)
    app.after_request(_count)
    _watch_pool(engine_of(app))
    limiter.exempt(bp)
    app.register_blueprint(bp)
