"""Security headers on every answer, and a request log without address or query (SPEC P3, P8)."""

from __future__ import annotations

import logging
import time

from flask import Flask, Request, Response, g, request

log = logging.getLogger("diskret.request")

SECURITY_HEADERS = {
    # Nothing a citizen sees may stay in a shared browser's cache or history.
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    # No third-party resource, no inline script (SPEC P7, P8).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


UNMATCHED = "(no route)"


def route_of(current: Request) -> str:
    """Return the pattern of the route that answered, such as ``/my/groups/<uuid:group_id>``."""
    rule = current.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _start_timer() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    """Add the security headers and log the request without anything that identifies.

    The line carries the route's pattern, not the path the client sent: a
    path may carry whatever someone typed into it (a code, a CPR number), and
    the ids in a matched one would tie the line to a course. The client
    address is never logged. The same four values go along as fields for the
    JSON log format (service.logs).
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    fields = {
        "method": request.method,
        "path": route_of(request),
        "status": response.status_code,
        "duration_ms": round(elapsed, 1),
    }
    log.info(
        "%s %s %s %.1fms",
        request.method,
        fields["path"],
        response.status_code,
        elapsed,
        extra=fields,
    )
    return response


def init_app(app: Flask) -> None:
    """Add the security headers and the address-free request log to every answer."""
    app.before_request(_start_timer)
    app.after_request(_finish)
