"""The citizen's own course, reached only with its token (SPEC P9: a token sees only its course)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask_smorest import Blueprint

from service import db
from service.api.auth import current_course, requires_token
from service.api.calendar import calendar_for
from service.api.errors import ErrorSchema
from service.api.schemas import BookingCreateSchema, BookingSchema, CourseSchema
from service.api.transaction import transactional
from service.api.views import course_payload
from service.booking import pathway, reservations
from service.core.clock import utcnow
from service.limits import token_entry

blp = Blueprint(
    "me",
    __name__,
    url_prefix="/api/v1/me",
    description="The citizen's course. Send the token as `Authorization: Bearer <token>`.",
)

_token_limit = token_entry


@blp.get("")
@_token_limit
@requires_token
@blp.response(200, CourseSchema)
@blp.alt_response(401, schema=ErrorSchema)
def show() -> dict[str, Any]:
    """Show the course with its bookings and waitlist position."""
    return course_payload(db.session(), current_course())


@blp.post("/bookings")
@_token_limit
@requires_token
@transactional
@blp.arguments(
    BookingCreateSchema,
    example={"group_id": "5d0f3f55-8f1c-4c1e-a1f4-6d0c2b9e7a10"},
)
@blp.response(201, BookingSchema)
@blp.alt_response(401, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="A rule said no; `code` says which.")
@blp.alt_response(422, schema=ErrorSchema)
def book(body: dict[str, Any]) -> dict[str, Any]:
    """Book an intro or closing slot, or a group place (status `booked` or `waitlisted`)."""
    session, now = db.session(), utcnow()
    course = current_course()
    if "slot_id" in body:
        booking = reservations.book_slot(session, course.id, body["slot_id"], now=now)
    else:
        booking = reservations.join_group(session, course.id, body["group_id"], now=now)
    payload = course_payload(session, booking.course)
    return next(b for b in payload["bookings"] if b["id"] == booking.id)


@blp.delete("/bookings/<uuid:booking_id>")
@_token_limit
@requires_token
@transactional
@blp.response(200, CourseSchema)
@blp.alt_response(401, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
def cancel(booking_id: uuid.UUID) -> dict[str, Any]:
    """Cancel a future booking or leave the group; a freed place promotes the waitlist."""
    session = db.session()
    course = current_course()
    reservations.cancel(session, course.id, booking_id, now=utcnow())
    session.refresh(course)
    return course_payload(session, course)


@blp.get("/calendar.ics")
@_token_limit
@requires_token
@blp.response(200, {"type": "string"}, content_type="text/calendar")
@blp.alt_response(401, schema=ErrorSchema)
def calendar() -> Response:
    """Download a neutral calendar file of the bookings: "Aftale" and the address, nothing more."""
    session = db.session()
    return calendar_for(session, current_course(), now=utcnow())


@blp.delete("")
@_token_limit
@requires_token
@transactional
@blp.response(204)
@blp.alt_response(401, schema=ErrorSchema)
def erase() -> None:
    """Erase the course, its bookings and the token; freed places go to the waitlist."""
    pathway.erase(db.session(), current_course().id, now=utcnow())
