"""Staff integrations with scope ``centre:manage``: slots, groups, courses and attendance.

A key bound to one centre reaches only that centre; anything else answers
404, exactly as if it did not exist (SPEC P9).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from service import db
from service.api.auth import current_actor
from service.api.routes import Refusal, api_route, scope
from service.api.schemas import (
    AttendanceRecordSchema,
    AttendanceSchema,
    CourseListQuerySchema,
    DecisionSchema,
    GroupCreateSchema,
    GroupPatchSchema,
    GroupSchema,
    OutcomeSchema,
    SlotCreateSchema,
    SlotSchema,
    StaffCourseSchema,
    TokenReplacedSchema,
)
from service.booking import attendance as presence
from service.booking import catalogue, pathway, schedule
from service.booking.catalogue import GroupView
from service.core.clock import utcnow, weekly
from service.http.keyring import keyring
from service.http.transaction import answer_belongs_to
from service.models import Attendance, Course, CourseStatus, Slot, SlotKind

SCOPE = "centre:manage"

blp = Blueprint(
    "manage",
    __name__,
    url_prefix="/api/v1",
    description="Centre staff integrations: `Authorization: Bearer dsk_...`, scope centre:manage.",
)

_MANAGE = scope(SCOPE)
_REFUSALS: tuple[Refusal, ...] = (
    (401, "No key, or the key is unknown or revoked."),
    (403, "The key lacks the scope centre:manage."),
    (404, "No such object within the key's centre."),
)


def _times(body: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    if "weekly" in body:
        pattern = body["weekly"]
        return list(
            weekly(
                first_day=pattern["first_day"],
                weekdays=frozenset(pattern["weekdays"]),
                start=pattern["start_time"],
                minutes=pattern["minutes"],
                weeks=pattern["weeks"],
            )
        )
    return [(each["starts_at"], each["ends_at"]) for each in body["times"]]


@api_route(
    blp,
    "/centres/<uuid:centre_id>/slots",
    method="post",
    access=_MANAGE,
    body=SlotCreateSchema,
    example={
        "kind": "intro",
        "weekly": {
            "first_day": "2026-12-07",
            "weekdays": [0, 2],
            "start_time": "10:00",
            "minutes": 45,
            "weeks": 4,
        },
    },
    status=201,
    response=SlotSchema(many=True),
    refusals=(422, *_REFUSALS),
)
def add_slots(body: dict[str, Any], centre_id: uuid.UUID) -> list[Slot]:
    """Add one or more slots, or a weekly pattern; times the centre already has are skipped."""
    actor = current_actor()
    return schedule.add_slots(
        db.session(), actor, centre_id, SlotKind(body["kind"]), _times(body), now=utcnow()
    )


@api_route(
    blp,
    "/centres/<uuid:centre_id>/groups",
    method="post",
    access=_MANAGE,
    body=GroupCreateSchema,
    example={
        "name": "Tirsdagsgruppen",
        "capacity": 8,
        "weekly": {
            "first_day": "2026-12-08",
            "weekdays": [1],
            "start_time": "17:00",
            "minutes": 90,
            "weeks": 10,
        },
    },
    status=201,
    response=GroupSchema,
    refusals=(422, *_REFUSALS),
)
def add_group(body: dict[str, Any], centre_id: uuid.UUID) -> GroupView:
    """Create a group with its sessions, given as a list or a weekly pattern."""
    actor = current_actor()
    group = schedule.add_group(
        db.session(),
        actor,
        centre_id,
        name=body["name"],
        capacity=body["capacity"],
        intake_open=body["intake_open"],
        late_join_until=body.get("late_join_until", current_app.config["LATE_JOIN_UNTIL_SESSION"]),
        sessions=_times(body),
        now=utcnow(),
    )
    return catalogue.group_view(db.session(), group, now=utcnow())


@api_route(
    blp,
    "/groups/<uuid:group_id>",
    method="patch",
    access=_MANAGE,
    body=GroupPatchSchema,
    example={"capacity": 10, "intake_open": True},
    response=GroupSchema,
    refusals=(409, 422, *_REFUSALS),
)
def patch_group(body: dict[str, Any], group_id: uuid.UUID) -> GroupView:
    """Change capacity or intake; raising the capacity promotes from the waitlist at once."""
    actor = current_actor()
    group = schedule.update_group(
        db.session(),
        actor,
        group_id,
        capacity=body.get("capacity"),
        intake_open=body.get("intake_open"),
        now=utcnow(),
    )
    return catalogue.group_view(db.session(), group, now=utcnow())


@api_route(
    blp,
    "/centres/<uuid:centre_id>/courses",
    access=_MANAGE,
    query=CourseListQuerySchema,
    response=StaffCourseSchema(many=True),
    refusals=_REFUSALS,
)
def list_courses(query: dict[str, Any], centre_id: uuid.UUID) -> list[Course]:
    """List the centre's courses by reference and status, newest first."""
    actor = current_actor()
    status = CourseStatus(query["status"]) if "status" in query else None
    return list(pathway.centre_courses(db.session(), actor, centre_id, status=status))


@api_route(
    blp,
    "/courses/<uuid:course_id>/decision",
    method="post",
    access=_MANAGE,
    body=DecisionSchema,
    example={"decision": "approved"},
    response=StaffCourseSchema,
    refusals=(409, 422, *_REFUSALS),
)
def decide(body: dict[str, Any], course_id: uuid.UUID) -> Course:
    """Record the decision after the intro talk: approved, or referred to ordinary treatment."""
    actor = current_actor()
    decision = pathway.Decision(body["decision"])
    return pathway.decide(db.session(), actor, course_id, decision, now=utcnow())


@api_route(
    blp,
    "/courses/<uuid:course_id>/outcome",
    method="post",
    access=_MANAGE,
    body=OutcomeSchema,
    example={"outcome": "completed"},
    response=StaffCourseSchema,
    refusals=(409, 422, *_REFUSALS),
)
def outcome(body: dict[str, Any], course_id: uuid.UUID) -> Course:
    """Close a course as completed or dropped, or as never came after a recorded intro no-show."""
    actor = current_actor()
    result = pathway.Outcome(body["outcome"])
    return pathway.record_outcome(db.session(), actor, course_id, result, now=utcnow())


@api_route(
    blp,
    "/courses/<uuid:course_id>/token",
    method="post",
    access=_MANAGE,
    status=201,
    response=TokenReplacedSchema,
    refusals=(409, *_REFUSALS),
)
def replace_token(course_id: uuid.UUID) -> dict[str, Any]:
    """Replace a lost token for a citizen who is present; the old token stops working at once."""
    actor = current_actor()
    token, course = pathway.replace_token(db.session(), keyring(), actor, course_id, now=utcnow())
    answer_belongs_to(course_id)
    return {"token": token, "course": course}


@api_route(
    blp,
    "/groups/<uuid:group_id>/sessions/<uuid:session_id>/attendance",
    method="put",
    access=_MANAGE,
    body=AttendanceSchema,
    example={"marks": [{"course_id": "0b7e6c1e-3f57-4b43-9b4e-2a51c1f0d9a4", "present": True}]},
    response=AttendanceRecordSchema(many=True),
    refusals=(422, *_REFUSALS),
)
def attendance(
    body: dict[str, Any], group_id: uuid.UUID, session_id: uuid.UUID
) -> list[Attendance]:
    """Mark members present or absent at a session that has begun; marking again overwrites.

    Only members on the session's list may be named: those whose place was
    granted before it began and who had not left before it (422 otherwise).
    """
    actor = current_actor()
    marks = [presence.Mark(course_id=m["course_id"], present=m["present"]) for m in body["marks"]]
    return presence.record_attendance(
        db.session(), actor, group_id, session_id, marks, now=utcnow()
    )
