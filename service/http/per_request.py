"""A value computed once a request, however often the request asks for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from flask import request

Value = TypeVar("Value")


def once(name: str, compute: Callable[[], Value]) -> Value:
    """Return ``compute()``, computed on the request's first call under ``name``.

    Kept in the request's WSGI environ (``diskret.<name>``), which ends with
    the request; Flask's ``g`` could outlive it where a test holds an app
    context open across requests.
    """
    key = f"diskret.{name}"
    environ = request.environ
    if key not in environ:
        environ[key] = compute()
    return cast(Value, environ[key])
