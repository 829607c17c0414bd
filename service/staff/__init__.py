"""The staff workspace: server-rendered pages in Danish for centres, municipalities and admins.

Every view checks the role and the reach of the signed-in account, on the
same business rules as the API (``service.booking``).
"""

from __future__ import annotations

from flask import Flask

# Importing a module adds its views to the blueprint; the menu is service.staff.menu.
from service.staff import (  # noqa: F401
    accounts,
    agenda,
    api_keys,
    audit,
    billing,
    centres,
    contracts,
    course_attendance,
    courses,
    errors,
    group_sessions,
    groups,
    municipality,
    on_behalf,
    slots,
    two_factor,
    views,
)
from service.staff.blueprint import blp


def init_app(app: Flask) -> None:
    """Serve the staff pages under /staff, and their own error page."""
    app.register_blueprint(blp)
    errors.init_app(app)
