"""The access matrix's entries for signing in and out, the day view and the course pages."""

from __future__ import annotations

from service.models import CENTRE_ROLES, Role
from tests.support.staff import PASSWORD, Route

EVERYONE = frozenset(Role)
COURSE = "/staff/courses/{course}"
NEW_PASSWORD = "a long and new password"

# Open to anyone: the sign-in itself, and its code step (which a sealed value opens).
PUBLIC = [("get", "/staff/login"), ("post", "/staff/login"), ("post", "/staff/login/code")]

ROUTES_COURSES = [
    Route("get", "/staff/", EVERYONE, foreign_status=None),
    Route("get", "/staff/password", EVERYONE, foreign_status=None),
    Route(
        "post",
        "/staff/password",
        EVERYONE,
        form={"current": PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
        foreign_status=None,
        page="/staff/password",
    ),
    # Every staff page's header holds the sign-out form.
    Route("post", "/staff/logout", EVERYONE, foreign_status=None, page="/staff/password"),
    Route("get", "/staff/courses", CENTRE_ROLES, foreign_status=None),
    Route("get", "/staff/courses/{course}", CENTRE_ROLES),
    Route(
        "post",
        "/staff/courses/{course}/decision",
        CENTRE_ROLES,
        form={"decision": "approved"},
        page=COURSE,
    ),
    Route(
        "post",
        "/staff/courses/{course}/outcome",
        CENTRE_ROLES,
        form={"outcome": "dropped"},
        page=COURSE,
    ),
    Route("post", "/staff/courses/{course}/token", CENTRE_ROLES, page=COURSE),
    Route("get", "/staff/book", CENTRE_ROLES, foreign_status=None),
    Route(
        "post",
        "/staff/book",
        CENTRE_ROLES,
        form={"slot": "{slot}", "adult": "y"},
        foreign_status=None,
        page="/staff/book?municipality={municipality}",
    ),
]
