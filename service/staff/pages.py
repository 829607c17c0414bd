"""Rendering staff pages: times in Copenhagen, the signed-in account in every template."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, g, render_template

from service.core.clock import LOCAL
from service.models import StaffAccount
from service.staff.menu import MENU

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


def when(instant: datetime) -> str:
    """Return a time as staff read it: "tirsdag 01.12.2026 17:00", Copenhagen time."""
    local = instant.astimezone(LOCAL)
    return f"{WEEKDAYS[local.weekday()]} {local:%d.%m.%Y %H:%M}"


def day_name(instant: datetime) -> str:
    """Return the Copenhagen date of a time as staff read it: "torsdag 24.12.2026"."""
    local = instant.astimezone(LOCAL)
    return f"{WEEKDAYS[local.weekday()]} {local:%d.%m.%Y}"


def clock(instant: datetime) -> str:
    """Return the Copenhagen wall-clock time of an instant, "17:00"."""
    return f"{instant.astimezone(LOCAL):%H:%M}"


def page(
    template: str, status: int = 200, *, me: StaffAccount | None = None, **context: Any
) -> tuple[str, int]:
    """Render a staff page; a refusal must not be 200, so its transaction rolls back.

    The menu is for the account ``staff_only`` admitted, or for ``me`` where no
    view admitted one (an error page).
    """
    return render_template(
        template,
        when=when,
        clock=clock,
        day_name=day_name,
        me=me or g.get("staff"),
        nav=MENU,
        status=status,
        has=lambda endpoint: endpoint in current_app.view_functions,
        **context,
    ), status
