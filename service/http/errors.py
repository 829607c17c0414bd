"""One JSON error envelope for every error, 500 included (SPEC section 5).

``{"code": "slot_taken", "status": 409, "message": "...", "errors": {...}}``
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, make_response, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from service.core.errors import DomainError, Kind

log = logging.getLogger("diskret.errors")

STATUS_OF_KIND: dict[Kind, int] = {
    "invalid": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "busy": 503,
}

# Machine-readable codes for the HTTP errors raised by Flask, werkzeug and webargs.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


_LOCATIONS = {"json", "query", "headers", "path", "form", "files", "cookies"}


class ErrorSchema(Schema):
    """The error envelope, for the OpenAPI document."""

    code = fields.String(required=True, metadata={"example": "slot_taken"})
    status = fields.Integer(required=True, metadata={"example": 409})
    message = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "Per-field messages, where there are any."})


def envelope(
    code: str, status: int, message: str, errors: dict[str, Any] | None = None
) -> Response:
    """Return the one error shape as a JSON response."""
    response = jsonify({"code": code, "status": status, "message": message, "errors": errors or {}})
    response.status_code = status
    return response


def _domain(error: DomainError) -> Response:
    status = STATUS_OF_KIND[error.kind]
    field = error.data.get("field")
    details = {key: value for key, value in error.data.items() if key != "field"}
    errors: dict[str, Any] = {str(field): [error.text]} if field else {}
    errors.update(details)
    response = envelope(error.code, status, error.text, errors)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="diskret"'
    return response


def _http(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    # An error may name its own code (service.request_guard says what was malformed).
    code = getattr(error, "error_code", None) or _HTTP_CODES.get(status, "http_error")
    message = data.get("message") or error.description or error.name
    if isinstance(errors, dict) and errors and set(errors) <= _LOCATIONS:
        # webargs groups messages by where they came from; clients want the fields.
        if status == 400:
            code, message, errors = "malformed_json", "The body is not valid JSON.", {}
        else:
            errors = {field: text for part in errors.values() for field, text in part.items()}
            message = "Some fields are missing or not valid."
    if status == 429:
        message = "Too many requests. Please wait a moment and try again."
    response = envelope(code, status, str(message), errors if isinstance(errors, dict) else {})
    for name, value in error.get_headers() if status in (405, 429) else []:
        if name.lower() != "content-type":
            response.headers[name] = value
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _unexpected(error: Exception) -> Response:
    # The exception's type and where it was raised, never its text: database
    # errors quote the statement's parameters, which may hold request data.
    where = "".join(traceback.format_tb(error.__traceback__))
    log.error("unhandled %s\n%s", type(error).__name__, where)
    return _http(InternalServerError())


PAGE_ERRORS = "diskret.page_errors"
PageRenderer = Callable[[HTTPException | DomainError], Response]


def register_pages(app: Flask, prefix: str, renderer: PageRenderer) -> None:
    """Answer errors under the path ``prefix`` (e.g. "/staff/") with ``renderer``'s page.

    Each edge that serves pages registers its own renderer, so this floor
    imports none of them; the longest prefix that holds a path answers for
    it. Paths under /api/ always get the JSON envelope.
    """
    app.extensions.setdefault(PAGE_ERRORS, {})[prefix] = renderer


def _renderer_for(path: str) -> PageRenderer | None:
    renderers: dict[str, PageRenderer] = current_app.extensions.get(PAGE_ERRORS, {})
    if path.startswith("/api/"):
        return None
    # "/staff" itself belongs to "/staff/" (it only redirects there).
    holding = [prefix for prefix in renderers if (path + "/").startswith(prefix)]
    return renderers[max(holding, key=len)] if holding else None


def error_page_response(error: HTTPException | DomainError, body: str, status: int) -> Response:
    """Return an error page as a response, with the headers its status promises.

    A 405 names the allowed methods (Allow) and a 429 when to try again
    (Retry-After), as the envelope does.
    """
    response = make_response(body, status)
    if isinstance(error, HTTPException) and status in (405, 429):
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response


def _for_pages_or(answer: Callable[[Any], Response]) -> Callable[[Any], Response]:
    """Answer outside /api/ with the error page of the edge that serves the path, if any."""

    def choose(error: Any) -> Response:
        pages = _renderer_for(request.path)
        if pages is not None:
            if not isinstance(error, HTTPException | DomainError):
                answer(error)  # logs it, type and place only
                error = InternalServerError()
            return pages(error)
        return answer(error)

    return choose


def init_app(app: Flask) -> None:
    """Register the envelope for domain errors, HTTP errors and anything unexpected."""
    app.register_error_handler(DomainError, _for_pages_or(_domain))
    app.register_error_handler(HTTPException, _for_pages_or(_http))
    app.register_error_handler(Exception, _for_pages_or(_unexpected))
