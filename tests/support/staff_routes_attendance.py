"""The access matrix's entries for attendance: "Alle mødt", no-shows at talks, never came."""

from __future__ import annotations

from service.models import CENTRE_ROLES
from tests.support.staff import Route

SESSION_BEGUN = "/staff/groups/{group}/sessions/{begun}"
COURSE = "/staff/courses/{course}"

ROUTES_ATTENDANCE = [
    # {begun} began an hour ago with a member on its list: its page offers "Alle mødt".
    Route(
        "post", SESSION_BEGUN + "/attendance/all", CENTRE_ROLES, page=SESSION_BEGUN + "/attendance"
    ),
    # {course}'s intro talk began two hours ago (tests.support.calls.hold_intro) and is
    # still booked: the no-show is recorded (303), or refused once a role before recorded it.
    Route(
        "post",
        COURSE + "/no-show",
        CENTRE_ROLES,
        form={"talk": "intro"},
        ok=(303, 409),
        page=COURSE,
    ),
    # {missed} has its intro no-show recorded: its page offers to close it as never came.
    Route(
        "post",
        "/staff/courses/{missed}/never-came",
        CENTRE_ROLES,
        page="/staff/courses/{missed}",
    ),
]
