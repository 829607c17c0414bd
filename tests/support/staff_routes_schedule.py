"""The access matrix's entries for the planning pages: slots, groups, sessions and attendance."""

from __future__ import annotations

from service.models import CENTRE_ROLES
from tests.support.staff import Route

GROUP = "/staff/groups/{group}"
SESSION = GROUP + "/sessions/{session}"
BEGUN = GROUP + "/sessions/{begun}"

# Dates far ahead, so that a valid form stays valid whenever the tests run.
_SLOT = {"day": "2099-01-05", "start": "10:00", "minutes": "45", "kind": "intro"}
_PATTERN = {
    "first_day": "2099-01-05",
    "weekdays": "0",
    "start": "10:00",
    "minutes": "45",
    "weeks": "2",
    "kind": "closing",
}
_GROUP = {
    "name": "Torsdagsgruppen",
    "capacity": "6",
    "intake_open": "y",
    "late_join_until": "3",
    "first_day": "2099-01-01",
    "weekdays": "3",
    "start": "17:00",
    "minutes": "90",
    "weeks": "4",
}

ROUTES_SCHEDULE = [
    Route("get", "/staff/slots", CENTRE_ROLES, foreign_status=None),
    Route(
        "post", "/staff/slots", CENTRE_ROLES, form=_SLOT, foreign_status=None, page="/staff/slots"
    ),
    Route("get", "/staff/slots/pattern", CENTRE_ROLES, foreign_status=None),
    Route(
        "post",
        "/staff/slots/pattern",
        CENTRE_ROLES,
        form=_PATTERN,
        foreign_status=None,
        page="/staff/slots/pattern",
    ),
    Route("post", "/staff/slots/{slot}/remove", CENTRE_ROLES, page="/staff/slots"),
    Route("get", "/staff/groups", CENTRE_ROLES, foreign_status=None),
    Route(
        "post",
        "/staff/groups",
        CENTRE_ROLES,
        form=_GROUP,
        foreign_status=None,
        page="/staff/groups",
    ),
    Route("get", GROUP, CENTRE_ROLES),
    Route("post", GROUP + "/capacity", CENTRE_ROLES, form={"capacity": "3"}, page=GROUP),
    Route("post", GROUP + "/intake", CENTRE_ROLES, form={"intake": "closed"}, page=GROUP),
    Route("get", SESSION + "/move", CENTRE_ROLES),
    Route(
        "post",
        SESSION + "/move",
        CENTRE_ROLES,
        form={"day": "2099-06-02", "start": "17:00", "minutes": "90"},
        page=SESSION + "/move",
    ),
    # {begun} is a meeting that began an hour ago and has a member (the matrix makes it):
    # its page offers the form, and nobody ticked saves the member as absent.
    Route("get", BEGUN + "/attendance", CENTRE_ROLES),
    Route("post", BEGUN + "/attendance", CENTRE_ROLES, page=BEGUN + "/attendance"),
]
