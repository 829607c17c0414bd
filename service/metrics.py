"""What the service counts for Prometheus, and nothing about a person.

The official ``prometheus-client``, not ``prometheus-flask-exporter``: the
exporter labels requests by path unless told otherwise, registers its own
route and brings its own gunicorn glue, while the route label, the guard of
``/metrics`` and the multiprocess set-up are what this service must decide
(``service.monitoring``, ``service.serve``). The client's multiprocess mode
is all gunicorn's workers need.

Every label value comes from a small fixed set: a route's rule (never a path
with an id or a code), a method, a status, a booking kind, a refusal's code.
No token, address, course id or municipality is ever a label.

The metrics are made on first use, not at import. prometheus-client picks
where a value lives (this process's memory, or a file in
``PROMETHEUS_MULTIPROC_DIR`` that every worker's values are summed from) when
the value is made, and ``diskret serve`` sets that folder up only after the
package was imported (``share_between_workers``).

The rules count when they decide, inside their transaction: a booking whose
transaction later fails to commit has still been counted. The counts show
load and refusals, not the bookings held; the database holds those.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values

from service.core.errors import DomainError
from service.models import Booking

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
# Anything else is counted as "other": a made-up method must not make a new series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A talk refused before its slot said which kind it is (the API's {slot_id}).
TALK = "talk"
KINDS = frozenset({"intro", "group", "closing", TALK})

Params = ParamSpec("Params")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Metrics:
    """The metrics of this process, made once (``made``)."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    rate_limited: Counter
    bookings: Counter
    refusals: Counter
    promotions: Counter
    password_wait: Histogram
    pool_checked_out: Gauge
    workers: Gauge


@functools.cache
def made() -> Metrics:
    """Return this process's metrics, making them on first use."""
    # In multiprocess mode the values live in files and are read back by
    # ``MultiProcessCollector``; the registry here serves one process only.
    registry = CollectorRegistry(auto_describe=True)
    return Metrics(
        registry=registry,
        requests=Counter(
            "diskret_http_requests",
            "HTTP requests answered, by route rule, method and status.",
            ("route", "method", "status"),
            registry=registry,
        ),
        latency=Histogram(
            "diskret_http_request_duration_seconds",
            "Time to answer an HTTP request, by route rule and method.",
            ("route", "method"),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        ),
        rate_limited=Counter(
            "diskret_rate_limited",
            "Requests refused with 429 by a rate limit, by route rule.",
            ("route",),
            registry=registry,
        ),
        bookings=Counter(
            "diskret_bookings",
            "Bookings made, by kind (intro, group, closing) and status (booked, waitlisted).",
            ("kind", "status"),
            registry=registry,
        ),
        refusals=Counter(
            "diskret_booking_refusals",
            "Bookings refused by a rule, by kind and the refusal's code.",
            ("kind", "reason"),
            registry=registry,
        ),
        promotions=Counter(
            "diskret_waitlist_promotions",
            "Waitlisted group places turned into booked ones.",
            registry=registry,
        ),
        password_wait=Histogram(
            "diskret_password_wait_seconds",
            "Time an argon2 computation waited for a slot, by outcome (computed, busy).",
            ("outcome",),
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=registry,
        ),
        pool_checked_out=Gauge(
            "diskret_db_pool_checked_out",
            "Database connections in use, over every serving process.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
        workers=Gauge(
            "diskret_serving_processes",
            "Serving processes alive (gunicorn workers, or 1).",
            registry=registry,
            multiprocess_mode="livesum",
        ),
    )


def multiprocess() -> bool:
    """Say whether values are shared through files among the workers of one server."""
    return MULTIPROC_DIR in os.environ


def share_between_workers(folder: str) -> None:
    """Keep every metric value in ``folder`` from now on, for all the workers of one server.

    Call before the workers fork; metrics made earlier in this process are
    dropped and made again on first use, in the folder.
    """
    os.environ[MULTIPROC_DIR] = folder
    # prometheus-client reads the variable once, at import; this reads it again.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    made.cache_clear()


def stop_sharing() -> None:
    """Keep metric values in this process's memory again (the server stopped)."""
    os.environ.pop(MULTIPROC_DIR, None)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    made.cache_clear()


def request_answered(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and observe how long it took."""
    metrics = made()
    method = method if method in METHODS else "other"
    metrics.requests.labels(route, method, str(status)).inc()
    metrics.latency.labels(route, method).observe(seconds)
    if status == 429:
        metrics.rate_limited.labels(route).inc()


def promoted(count: int) -> None:
    """Count waitlisted places turned into booked ones."""
    if count:
        made().promotions.inc(count)


def password_waited(seconds: float, *, computed: bool) -> None:
    """Observe how long an argon2 computation waited for its slot (or until refused)."""
    made().password_wait.labels("computed" if computed else "busy").observe(seconds)


def connection_checked_out() -> None:
    """Count a database connection taken from the pool."""
    made().pool_checked_out.inc()


def connection_checked_in() -> None:
    """Count a database connection given back to the pool."""
    made().pool_checked_out.dec()


def serving() -> None:
    """Count this process as one that serves requests."""
    made().workers.set(1)


def counts_booking(
    kind: str | None,
) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]:
    """Count what a booking rule decides: the booking it makes, or the rule that refused it.

    ``kind`` is the kind the rule books; None where it is the slot's, which
    the booking returned tells, or a ``kind`` argument when the rule refused.
    """

    def decorate(rule: Callable[Params, Result]) -> Callable[Params, Result]:
        @functools.wraps(rule)
        def counted(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            try:
                result = rule(*args, **kwargs)
            except DomainError as error:
                asked = kwargs.get("kind")
                refused = kind or (str(asked) if asked is not None else TALK)
                made().refusals.labels(refused, error.code).inc()
                raise
            if isinstance(result, Booking):
                made().bookings.labels(result.kind.value, result.status.value).inc()
            else:
                made().bookings.labels(kind or TALK, "booked").inc()
            return result

        return counted

    return decorate
