"""Refuse malformed input before any view runs: a clear 400 or 413, never a 500.

One check for every request, so that no view, schema or database meets
what none of them can store or answer: control characters and lone
surrogates (PostgreSQL refuses NUL in text, UTF-8 cannot encode a
surrogate), JSON nested deeper than any request of the API needs (the
parser would exhaust Python's recursion limit), numbers and constants that
JSON does not allow, and bodies above ``MAX_CONTENT_LENGTH``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

# The deepest request of the API nests three levels (the weekdays of a weekly
# pattern); 32 leaves room without letting a body recurse far.
MAX_JSON_DEPTH = 32

# C0 controls and DEL: no path, query value, header or JSON string of this
# service holds one. Lone surrogates cannot be encoded as UTF-8 at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# A header value may hold a tab (RFC 9110 section 5.5), nothing else below a space.
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# A form may hold tabs and line breaks (a textarea), no other control character.
_FORM_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class MalformedInput(BadRequest):
    """A request that no route can take: the envelope's ``code`` says what is wrong."""

    def __init__(self, error_code: str, description: str) -> None:
        super().__init__(description)
        self.error_code = error_code


def _unsafe_text() -> MalformedInput:
    return MalformedInput(
        "invalid_characters",
        "The request holds a control character or a character that is not valid Unicode.",
    )


def _too_deep() -> MalformedInput:
    return MalformedInput("malformed_json", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(data: bytes | str) -> Any:
    """Return the JSON value of ``data``, or raise MalformedInput saying what is wrong with it."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        # Not JSON, not UTF-8, NaN, or an integer longer than Python converts.
        raise MalformedInput("malformed_json", "The body is not valid JSON.") from None
    _check_json(value)
    return value


def _check_json(value: Any) -> None:
    """Raise MalformedInput when the value nests too deep or holds an unsafe string.

    The walk keeps its own stack: recursing here would meet the very limit
    that deep nesting is refused for.
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str) and _CONTROL.search(item):
            raise _unsafe_text()
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(item, dict) and any(_CONTROL.search(key) for key in item):
            raise _unsafe_text()
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)


def _text_of(raw: bytes, unsafe: re.Pattern[str] = _CONTROL) -> str:
    """Return raw bytes as text, refusing what is not UTF-8 (an encoded surrogate is not)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _unsafe_text() from None
    if unsafe.search(text):
        raise _unsafe_text()
    return text


def _check_encoded(encoded: bytes, unsafe: re.Pattern[str] = _CONTROL) -> None:
    """Check each name and value of a query string or a URL-encoded form.

    Decoded here from the raw bytes: werkzeug keeps what is not UTF-8 as
    its percent-escapes, which would let an encoded surrogate through.
    """
    for pair in encoded.split(b"&"):
        for part in pair.split(b"=", 1):
            _text_of(unquote_to_bytes(part.replace(b"+", b" ")), unsafe)


def _body() -> bytes:
    """Return the body, read at most up to MAX_CONTENT_LENGTH and kept for the view."""
    body = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    # A streamed (chunked) body has no length to refuse it by: werkzeug stops
    # reading at the cap, so a body that fills the cap is taken as longer.
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise RequestEntityTooLarge()
    return body


def _check_request() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        # Refused on the header alone: not one byte of the body is read.
        raise RequestEntityTooLarge()
    # WSGI hands the path over as its bytes, each read as a latin-1 character.
    _text_of(request.environ.get("PATH_INFO", "").encode("latin-1", "replace"))
    _check_encoded(request.query_string)
    for _name, value in request.headers.items():
        if _HEADER_CONTROL.search(value):
            raise _unsafe_text()
    if request.mimetype == "application/x-www-form-urlencoded":
        _check_encoded(_body(), _FORM_CONTROL)
    elif request.mimetype == "multipart/form-data":
        for name, value in request.form.items(multi=True):
            if _FORM_CONTROL.search(name) or _FORM_CONTROL.search(value):
                raise _unsafe_text()
    elif request.is_json:
        body = _body()
        if body:
            load_json(body)


def init_app(app: Flask) -> None:
    """Check every request's path, query, headers and body before its view."""
    app.before_request(_check_request)
