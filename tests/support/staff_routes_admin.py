"""The access matrix's entries for the statistics and administration pages.

{account} is an extra staff account of centre A, {centre} centre A and
{api_key} one of the world's API keys. Routes that take an object answer
404 to a manager who cannot reach it (a centre admin of centre B).
"""

from __future__ import annotations

from service.models import Role
from tests.support.staff import Route

ADMIN = frozenset({Role.ADMIN})
MANAGERS = frozenset({Role.ADMIN, Role.CENTRE_ADMIN})

ROUTES_ADMIN = [
    Route(
        "get", "/staff/statistics", frozenset({Role.COORDINATOR, Role.ADMIN}), foreign_status=None
    ),
    Route(
        "get",
        "/staff/statistics.csv",
        frozenset({Role.COORDINATOR, Role.ADMIN}),
        foreign_status=None,
    ),
    Route("get", "/staff/accounts", MANAGERS, foreign_status=None),
    # The centre is the object: another centre's answers 404, as if it did not exist.
    Route(
        "post",
        "/staff/accounts",
        MANAGERS,
        form={"username": "new.colleague", "role": "staff", "centre": "{centre}"},
        page="/staff/accounts",
    ),
    Route("post", "/staff/accounts/{account}/deactivate", MANAGERS, page="/staff/accounts"),
    Route("post", "/staff/accounts/{account}/setup-code", MANAGERS, page="/staff/accounts"),
    # Administrators reach every account, so no foreign one exists for them.
    # The account has TOTP (the matrix sets it up), so the list offers its reset.
    Route(
        "post",
        "/staff/accounts/{account}/two-factor/reset",
        ADMIN,
        foreign_status=None,
        page="/staff/accounts",
    ),
    Route("get", "/staff/api-keys", ADMIN, foreign_status=None),
    Route(
        "post",
        "/staff/api-keys",
        ADMIN,
        form={"name": "Statistikbanken", "scopes": "stats:read", "reach": "national"},
        foreign_status=None,
        page="/staff/api-keys",
    ),
    Route(
        "post",
        "/staff/api-keys/{api_key}/revoke",
        ADMIN,
        foreign_status=None,
        page="/staff/api-keys",
    ),
    Route("get", "/staff/audit", MANAGERS, foreign_status=None),
]
