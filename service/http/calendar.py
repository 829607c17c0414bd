"""A neutral iCalendar of a course's times that a calendar can follow (SPEC P7).

Every event is called "Aftale" and carries only the centre's discreet
address; there is no organizer, no attendee and no description. The
reminders (``VALARM``) say "Aftale" too and are kept by the device itself.

Re-importing a file, or fetching the private feed again, updates the events
instead of adding copies (RFC 5545 3.8.4.7, 3.8.7.4):

- an event's UID is an HMAC, under a key of its own purpose, of the course's
  id and the talk's kind ("intro", "closing") or the group meeting's id, so
  it reveals nothing and stays the same when the talk is moved (a moved talk
  is the booking cancelled and a new one made in one transaction);
- its SEQUENCE is the booking's (one more than the kind's earlier booking,
  raised on cancelling) plus, for a group meeting, the meeting's own (raised
  whenever staff move it);
- a cancelled talk or group place stays in the file as ``STATUS:CANCELLED``
  until its time has passed, so that a calendar that imported or subscribed
  to it removes it; past times are left out.

A key rotation changes every UID once: a subscribed calendar then replaces
its events, a file imported again shows them twice (SECURITY.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Response, current_app
from icalendar import Alarm, Calendar, Event
from sqlalchemy.orm import Session

from service.http.keyring import keyring
from service.models import Booking, BookingKind, BookingStatus, Centre, Course, Group, Slot

SUMMARY = "Aftale"
UID_PURPOSE = "calendar-uid"
_SHOWN = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)


@dataclass(frozen=True)
class Entry:
    """One event of the calendar: which talk or meeting, when, its sequence, whether cancelled."""

    key: str
    start: datetime
    end: datetime
    sequence: int
    cancelled: bool


def _times(session: Session, booking: Booking) -> list[tuple[str, datetime, datetime, int]]:
    """Return each event key, time and own sequence a booking covers."""
    if booking.slot_id is not None:
        slot = session.get(Slot, booking.slot_id)
        return [(booking.kind.value, slot.starts_at, slot.ends_at, 0)] if slot else []
    group = session.get(Group, booking.group_id)
    meetings = group.sessions if group else []
    return [(str(m.id), m.starts_at, m.ends_at, m.sequence) for m in meetings]


def _in_calendar(booking: Booking) -> bool:
    """Tell whether a booking has events (a waiting place, or one left while waiting, has none)."""
    if booking.status in _SHOWN:
        return True
    if booking.status is BookingStatus.CANCELLED:
        return booking.kind is not BookingKind.GROUP or booking.placed_at is not None
    return False


def entries(session: Session, course: Course, *, now: datetime) -> list[Entry]:
    """Return the course's events still to come, the latest booking of each talk or meeting."""
    latest: dict[str, Entry] = {}
    for booking in course.bookings:  # in pathway order: a later booking replaces an earlier one
        if not _in_calendar(booking):
            continue
        cancelled = booking.status is BookingStatus.CANCELLED
        for key, start, end, own in _times(session, booking):
            latest[key] = Entry(key, start, end, booking.sequence + own, cancelled)
    return sorted((e for e in latest.values() if e.end > now), key=lambda e: (e.start, e.key))


def _uid(course: Course, key: str) -> str:
    digest = keyring().digest(f"{course.id}/{key}", purpose=UID_PURPOSE)
    return f"{digest.value.hex()}@aftale.invalid"


def _alarm(minutes: int) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", SUMMARY)
    alarm.add("trigger", timedelta(minutes=-minutes))
    return alarm


def _event(course: Course, entry: Entry, location: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", _uid(course, entry.key))
    event.add("dtstamp", now)
    event.add("dtstart", entry.start)
    event.add("dtend", entry.end)
    event.add("sequence", entry.sequence)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("summary", SUMMARY)
    event.add("location", location)
    event.add("transp", "TRANSPARENT" if entry.cancelled else "OPAQUE")
    if not entry.cancelled:
        for minutes in reminder_minutes():
            event.add_component(_alarm(minutes))
    return event


def reminder_minutes() -> list[int]:
    """Return how many minutes before each event its reminders go off (configuration)."""
    return [int(each) for each in current_app.config["CALENDAR_REMINDER_MINUTES"].split()]


def calendar_bytes(session: Session, course: Course, *, now: datetime, feed: bool = False) -> bytes:
    """Return the course's calendar; a feed also tells subscribers how often to look again."""
    centre = session.get(Centre, course.centre_id)
    location = centre.address if centre else ""
    calendar = Calendar()
    calendar.add("prodid", "-//Aftale//DA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if feed:
        # RFC 7986 5.7 and its older name: a hint, most providers choose their own interval.
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
        calendar.add("name", SUMMARY)
        calendar.add("x-wr-calname", SUMMARY)
    for entry in entries(session, course, now=now):
        calendar.add_component(_event(course, entry, location, now))
    text: bytes = calendar.to_ical()
    return text


def calendar_for(session: Session, course: Course, *, now: datetime) -> Response:
    """Return the course's calendar as a text/calendar download."""
    response = Response(calendar_bytes(session, course, now=now), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'attachment; filename="aftale.ics"'
    return response
