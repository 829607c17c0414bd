"""The access matrix's entries for attendance: "Alle mødt", no-shows at talks, never came."""

from __future__ import annotations

from service.models import CENTRE_ROLES
from tests.support.staff import Route

SESSION = "/staff/groups/{group}/sessions/{session}"
COURSE = "/staff/courses/{course}"

ROUTES_ATTENDANCE = [
    # {session} is the group's first session, a week ahead: the rule refuses attendance
    # before a session begins (422), which still proves the role got past the access check.
    Route(
        "post",
        SESSION + "/attendance/all",
        CENTRE_ROLES,
        ok=(303, 422),
        page=SESSION + "/attendance",
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
    # Closing as never came needs that no-show first (409 without it).
    Route("post", COURSE + "/never-came", CENTRE_ROLES, ok=(303, 409), page=COURSE),
]
