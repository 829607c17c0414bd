"""One decorator per API route, so the order of its layers is decided here and only here.

From the outside in, every route is: the URL rule, the rate limit, the
caller's authentication (a citizen's token or an API key's scope), the
transaction of a write, the parsed arguments, the response schema and the
documented refusals. The limit comes first so that guessing is counted
before anything else is looked at; authentication before the body is read,
so a stranger learns nothing of the body's rules; the transaction inside
authentication, so a refused caller never opens one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_smorest import Blueprint
from marshmallow import Schema

from service.api.auth import requires_scope, requires_token
from service.http.errors import ErrorSchema
from service.http.transaction import transactional
from service.limits import key_entry, token_entry

View = TypeVar("View", bound=Callable[..., Any])
Decorator = Callable[[Any], Any]
# A documented refusal: its status, or its status and a description.
Refusal = int | tuple[int, str]

_SAFE = frozenset({"get"})


@dataclass(frozen=True)
class Access:
    """Who may call a route: the rate limit that guards it and the check of the caller."""

    limit: Decorator | None = None
    authenticate: Decorator | None = None


PUBLIC = Access()
TOKEN = Access(limit=token_entry, authenticate=requires_token)


def limited(limit: Decorator) -> Access:
    """Return the access of a public route with a rate limit of its own."""
    return Access(limit=limit)


def scope(name: str) -> Access:
    """Return the access of a route for an API key that carries the scope ``name``."""
    return Access(limit=key_entry, authenticate=requires_scope(name))


def _refusal(refusal: Refusal) -> tuple[int, str | None]:
    return refusal if isinstance(refusal, tuple) else (refusal, None)


def api_route(
    blp: Blueprint,
    rule: str,
    *,
    method: str = "get",
    access: Access = PUBLIC,
    body: Schema | type[Schema] | None = None,
    query: Schema | type[Schema] | None = None,
    example: Mapping[str, Any] | None = None,
    status: int = 200,
    response: Schema | type[Schema] | Mapping[str, Any] | None = None,
    content_type: str | None = None,
    description: str | None = None,
    refusals: Sequence[Refusal] = (),
    parameters: Sequence[Mapping[str, Any]] | None = None,
) -> Callable[[View], View]:
    """Register a view as an API route, with its layers always in the same order.

    A route of any method but GET is a write and runs in one transaction
    (``service.http.transaction``).
    """

    def decorate(view: View) -> View:
        wrapped: Any = view
        # In order of status, so the document lists refusals the same way on every route.
        for code, text in sorted(map(_refusal, refusals), key=lambda r: r[0]):
            wrapped = blp.alt_response(code, schema=ErrorSchema, description=text)(wrapped)
        options: dict[str, Any] = {}
        if content_type is not None:
            options["content_type"] = content_type
        if description is not None:
            options["description"] = description
        wrapped = blp.response(status, response, **options)(wrapped)
        if body is not None:
            wrapped = blp.arguments(body, example=example)(wrapped)
        if query is not None:
            wrapped = blp.arguments(query, location="query")(wrapped)
        if method not in _SAFE:
            wrapped = transactional(wrapped)
        if access.authenticate is not None:
            wrapped = access.authenticate(wrapped)
        if access.limit is not None:
            wrapped = access.limit(wrapped)
        route: View = blp.route(rule, methods=[method.upper()], parameters=parameters)(wrapped)
        return route

    return decorate
