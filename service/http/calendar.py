"""A neutral iCalendar file: nothing in it reveals treatment (SPEC P7).

Every event is called "Aftale" and carries only the centre's discreet
address; there is no organizer, no attendee, no description and no alarm,
and the UID is random, so a synced phone calendar shows an ordinary appointment.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Response
from icalendar import Calendar, Event
from sqlalchemy.orm import Session

from service.models import BookingStatus, Centre, Course, Group, Slot

SUMMARY = "Aftale"


def _event(start: datetime, end: datetime, location: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uuid.uuid4()}@aftale.invalid")
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", SUMMARY)
    event.add("location", location)
    event.add("transp", "OPAQUE")
    return event


def calendar_for(session: Session, course: Course, *, now: datetime) -> Response:
    """Return the course's booked future times as a text/calendar download."""
    centre = session.get(Centre, course.centre_id)
    location = centre.address if centre else ""
    calendar = Calendar()
    calendar.add("prodid", "-//Aftale//DA")
    calendar.add("version", "2.0")
    for booking in course.bookings:
        if booking.status is not BookingStatus.BOOKED:
            continue
        if booking.slot_id is not None:
            slot = session.get(Slot, booking.slot_id)
            times = [(slot.starts_at, slot.ends_at)] if slot else []
        else:
            group = session.get(Group, booking.group_id)
            times = [(s.starts_at, s.ends_at) for s in group.sessions] if group else []
        for start, end in times:
            if end > now:
                calendar.add_component(_event(start, end, location, now))
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'attachment; filename="aftale.ics"'
    return response
