"""The access matrix's entries for the planning views: tomorrow, the week and a group's list."""

from __future__ import annotations

from service.models import CENTRE_ROLES
from tests.support.staff import Route

ROUTES_PLANNING = [
    Route("get", "/staff/tomorrow", CENTRE_ROLES, foreign_status=None),
    Route("get", "/staff/week", CENTRE_ROLES, foreign_status=None),
    Route("get", "/staff/groups/{group}/print", CENTRE_ROLES),
]
