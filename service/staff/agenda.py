"""The centre's agenda: today, tomorrow and a week, Monday to Sunday.

Each view reads the rules of ``service.booking.day`` for the signed-in
account's centre and names the holidays the centre closes on
(``service.booking.holidays``). Weeks are chosen with ``?uge=YYYY-MM-DD``
(any date of the week); a date that cannot be read shows the current week.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import request

from service import db
from service.booking import day as agenda
from service.core.clock import local_today, utcnow
from service.identity.accounts import actor_of
from service.staff.auth import CENTRE, current, staff_only
from service.staff.blueprint import blp
from service.staff.pages import WEEKDAYS, page
from service.staff.schedule_forms import KIND_NAMES

Answer = tuple[str, int]


def chosen_week(today: date) -> date:
    """Return the Monday of the week the query string asks for, or of ``today``'s week."""
    try:
        asked = date.fromisoformat(request.args.get("uge", ""))
    except ValueError:
        asked = today
    return agenda.monday_of(asked)


def day_page(on: date, title: str, current_view: str) -> Answer:
    """Render the centre's day: its talks and group sessions, with the links between the views
    (``current_view`` is the endpoint shown)."""
    found = agenda.centre_day(db.session(), actor_of(current()), on)
    return page(
        "staff/day.html",
        title=title,
        current_view=current_view,
        talks=found.talks,
        meetings=found.meetings,
        day=found.starts_at,
        holiday=found.holiday,
    )


@blp.get("/tomorrow")
@staff_only(*CENTRE)
def tomorrow() -> Answer:
    """The centre's day tomorrow: its talks and group sessions, by course reference."""
    return day_page(local_today(utcnow()) + timedelta(days=1), "I morgen", "staff.tomorrow")


@blp.get("/week")
@staff_only(*CENTRE)
def week() -> Answer:
    """The centre's week, Monday to Sunday: every slot and group session, day by day."""
    monday = chosen_week(local_today(utcnow()))
    return page(
        "staff/week.html",
        days=agenda.centre_week(db.session(), actor_of(current()), monday),
        monday=monday,
        week_number=monday.isocalendar().week,
        previous=monday - timedelta(days=7),
        next=monday + timedelta(days=7),
        weekdays=WEEKDAYS,
        kinds=KIND_NAMES,
    )
