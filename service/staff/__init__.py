"""The staff workspace: server-rendered pages in Danish for centres, municipalities and admins.

Every view checks the role and the reach of the signed-in account, on the
same business rules as the API (``service.booking``).
"""

from __future__ import annotations

from flask import Flask

from service.staff.blueprint import blp

# Each module adds its views to the blueprint and its pages to the menu, which lists
# them in the order they are imported here: keep this order, not the alphabetical one.
# isort: off
from service.staff import (  # noqa: F401
    accounts,
    centres,
    api_keys,
    audit,
    courses,
    municipality,
    slots,
    groups,
    group_sessions,
    two_factor,
    views,
)
# isort: on


def init_app(app: Flask) -> None:
    """Serve the staff pages under /staff."""
    app.register_blueprint(blp)
