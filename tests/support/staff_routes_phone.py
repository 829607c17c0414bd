"""The access matrix's entries for carrying a phone caller: the search and the course's steps.

The matrix's course is requested and its intro talk is past, so a step out
of order or a past talk is refused by the rules (409) where the role may act.
"""

from __future__ import annotations

from service.models import CENTRE_ROLES
from tests.support.staff import Route

COURSE = "/staff/courses/{course}"
_REFUSED = (303, 409)

ROUTES_PHONE = [
    Route("get", "/staff/courses/find", CENTRE_ROLES, foreign_status=None),
    Route(
        "post",
        COURSE + "/talks/intro",
        CENTRE_ROLES,
        form={"intro-slot": "{slot}"},
        ok=_REFUSED,
        page=COURSE,
    ),
    Route(
        "post",
        COURSE + "/talks/closing",
        CENTRE_ROLES,
        form={"closing-slot": "{slot}"},
        ok=_REFUSED,
        page=COURSE,
    ),
    Route(
        "post",
        COURSE + "/group",
        CENTRE_ROLES,
        form={"group-group": "{group}"},
        ok=_REFUSED,
        page=COURSE,
    ),
    Route(
        "post",
        COURSE + "/cancel",
        CENTRE_ROLES,
        form={"cancel-kind": "intro"},
        ok=_REFUSED,
        page=COURSE,
    ),
]
