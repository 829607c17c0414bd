"""The citizen's own course, reached only with its token (SPEC P9: a token sees only its course)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, url_for
from flask_smorest import Blueprint

from service import db
from service.api.auth import current_course
from service.api.routes import TOKEN, api_route
from service.api.schemas import (
    BookingCreateSchema,
    BookingSchema,
    CalendarFeedSchema,
    CourseSchema,
)
from service.booking import feeds, pathway, reservations
from service.core.clock import utcnow
from service.http.calendar import calendar_for
from service.http.keyring import keyring
from service.http.presenters import course_payload

blp = Blueprint(
    "me",
    __name__,
    url_prefix="/api/v1/me",
    description="The citizen's course. Send the token as `Authorization: Bearer <token>`.",
)


@api_route(blp, "", access=TOKEN, response=CourseSchema, refusals=(401,))
def show() -> dict[str, Any]:
    """Show the course with its bookings and waitlist position."""
    return course_payload(db.session(), current_course())


@api_route(
    blp,
    "/bookings",
    method="post",
    access=TOKEN,
    body=BookingCreateSchema,
    example={"group_id": "5d0f3f55-8f1c-4c1e-a1f4-6d0c2b9e7a10"},
    status=201,
    response=BookingSchema,
    refusals=(401, (409, "A rule said no; `code` says which."), 422),
)
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


@api_route(
    blp,
    "/bookings/<uuid:booking_id>",
    method="delete",
    access=TOKEN,
    response=CourseSchema,
    refusals=(401, 404, 409),
)
def cancel(booking_id: uuid.UUID) -> dict[str, Any]:
    """Cancel a future booking or leave the group; a freed place promotes the waitlist."""
    session = db.session()
    course = current_course()
    reservations.cancel(session, course.id, booking_id, now=utcnow())
    session.refresh(course)
    return course_payload(session, course)


@api_route(
    blp,
    "/calendar.ics",
    access=TOKEN,
    response={"type": "string"},
    content_type="text/calendar",
    refusals=(401,),
)
def calendar() -> Response:
    """Download a neutral calendar file of the bookings: "Aftale" and the address, nothing more.

    Each talk and group meeting keeps its UID across downloads, and a move raises
    its SEQUENCE, so importing the file again updates the events. A cancelled one
    stays, `STATUS:CANCELLED`, until its time has passed. Each event carries
    reminders (`VALARM`, DISPLAY "Aftale") the device shows by itself.
    """
    session = db.session()
    return calendar_for(session, current_course(), now=utcnow())


@api_route(
    blp,
    "/calendar-feed",
    method="post",
    access=TOKEN,
    status=201,
    response=CalendarFeedSchema,
    refusals=(401,),
)
def create_feed() -> dict[str, str]:
    """Make a private calendar feed of the bookings, ending any earlier one.

    A calendar that subscribes to the URL follows moves and cancellations; its
    provider fetches "Aftale", the times and the centre's address. The URL holds
    the feed's own secret (never the token) and is shown only in this answer.
    Revoking it, erasure and a new token end the feed.
    """
    secret = feeds.create(db.session(), keyring(), current_course(), now=utcnow())
    url = url_for("feed.fetch", secret=secret, _external=True)
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


@api_route(blp, "/calendar-feed", method="delete", access=TOKEN, status=204, refusals=(401,))
def revoke_feed() -> None:
    """Revoke the calendar feed: its URL finds nothing from now on (204 when there is none too)."""
    feeds.end(db.session(), current_course().id)


@api_route(blp, "", method="delete", access=TOKEN, status=204, refusals=(401,))
def erase() -> None:
    """Erase the course, its bookings and the token; freed places go to the waitlist."""
    pathway.erase(db.session(), current_course().id, now=utcnow())
