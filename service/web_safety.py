"""Security headers on every answer, and a request log without address or query (SPEC P3, P8)."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

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


def _start_timer() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    # request.path never includes the query string; the client address is never logged.
    log.info(
        "%s %s %s %.1fms",
        request.method,
        request.path,
        response.status_code,
        elapsed,
    )
    return response


def init_app(app: Flask) -> None:
    """Add the security headers and the address-free request log to every answer."""
    app.before_request(_start_timer)
    app.after_request(_finish)
