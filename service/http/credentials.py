"""The credential a request presents, read one way for authentication and for rate limits.

A route authenticates with the credential these functions return, and its
rate limits key on the same value, so no spelling that authentication
accepts can reach a budget of its own. The header is parsed once a request,
however many limits and checks ask for it.
"""

from __future__ import annotations

from flask import request

import crypto
from service.http.per_request import once


def bearer_credential() -> str | None:
    """Return the credential of the ``Authorization: Bearer`` header, or None without one.

    The scheme is matched case-insensitively and any run of whitespace may
    follow it (RFC 9110 section 11.1, RFC 6750 section 2.1).
    """
    return once("bearer_credential", _bearer)


def _bearer() -> str | None:
    scheme, *rest = request.headers.get("Authorization", "").split(None, 1) or [""]
    if scheme.lower() != "bearer" or not rest:
        return None
    return rest[0].strip() or None


def canonical_bearer() -> str:
    """Return the bearer credential as authentication matches it, or "" without one.

    A citizen's code is normalised (case, dashes and spaces do not matter);
    anything else, an API key included, is kept as sent.
    """
    credential = bearer_credential()
    if credential is None:
        return ""
    try:
        return crypto.normalize_token(credential)
    except crypto.InvalidTokenError:
        return credential


def form_code() -> str:
    """Return the code typed into the web form's ``code`` field."""
    return request.form.get("code", "")
