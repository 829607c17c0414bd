"""Calendar files read twice: by ``icalendar``, which writes them, and by ``vobject``.

Every text/calendar answer of a test app goes through ``read`` (``check_served``),
so a file that only its own writer can read fails the test that fetched it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import icalendar
import vobject
from flask import Flask, Response


@dataclass(frozen=True)
class Event:
    """What a calendar takes from one event, as both parsers read it."""

    uid: str
    start: datetime
    end: datetime
    sequence: int
    status: str
    summary: str
    location: str
    alarms: tuple[timedelta, ...]


def _by_vobject(text: str) -> list[Event]:
    calendar: Any = vobject.readOne(text, validate=True)
    return [
        Event(
            uid=each.uid.value,
            start=each.dtstart.value,
            end=each.dtend.value,
            sequence=int(each.sequence.value),
            status=each.status.value,
            summary=each.summary.value,
            location=each.location.value,
            alarms=tuple(alarm.trigger.value for alarm in getattr(each, "valarm_list", [])),
        )
        for each in getattr(calendar, "vevent_list", [])
    ]


def _by_icalendar(text: str) -> list[Event]:
    calendar = icalendar.Calendar.from_ical(text)
    return [
        Event(
            uid=str(each["UID"]),
            start=each.decoded("DTSTART"),
            end=each.decoded("DTEND"),
            sequence=int(each.decoded("SEQUENCE")),
            status=str(each["STATUS"]),
            summary=str(each["SUMMARY"]),
            location=str(each["LOCATION"]),
            alarms=tuple(alarm.decoded("TRIGGER") for alarm in each.walk("VALARM")),
        )
        for each in calendar.walk("VEVENT")
    ]


def read(text: str) -> list[Event]:
    """Return a calendar's events, failing unless both parsers read the same from it."""
    events = _by_vobject(text)
    assert events == _by_icalendar(text), "vobject and icalendar read the calendar differently"
    return events


def check_served(app: Flask) -> None:
    """Read every calendar the app answers with both parsers, whichever test fetched it."""

    def check(response: Response) -> Response:
        if response.mimetype == "text/calendar" and response.status_code == 200:
            read(response.get_data(as_text=True))
        return response

    app.after_request(check)
