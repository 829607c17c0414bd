"""A centre employee plans around the holidays: a pattern across Christmas, a meeting moved,
the day, tomorrow and week views, the slots by week, and a group's list printed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect
from sqlalchemy.orm import sessionmaker

import crypto
from service.core.clock import local_today
from service.db import make_engine
from service.identity import accounts
from service.models import Role
from tests.browser.conftest import Served, Visit
from tests.browser.staff_steps import sign_in_first_time

USERNAME = "medarbejder.a"
GROUP = "Gruppe"  # the test world's group at centre A


@pytest.fixture
def setup_code(served: Served) -> str:
    """Create a centre A employee in the served database; return the one-time setup code."""
    engine = make_engine(served.database_url)
    try:
        with sessionmaker(bind=engine)() as session:
            made = accounts.create(
                session,
                username=USERNAME,
                role=Role.STAFF,
                centre_id=served.world.centre_a,
                created_by=None,
                profile=crypto.STAFF_PROFILE,
                now=datetime.now(UTC),
            )
            session.commit()
    finally:
        engine.dispose()
    return made.setup_code


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Personale").get_by_role(
        "link", name=name, exact=True
    ).click()


def _christmas_week(today: date) -> date:
    """Return the next 17 December still to come: a week before juleaften."""
    this_year = date(today.year, 12, 17)
    return this_year if this_year > today else date(today.year + 1, 12, 17)


def _pattern_across_christmas(staff: Visit, first: date) -> None:
    """Three weekly intro talks from 17 December: juleaften and nytårsaften are skipped."""
    page = staff.page
    _menu(page, "Tider")
    page.get_by_role("link", name="Tilføj flere tider efter et ugentligt mønster").click()
    staff.step("pattern")
    page.get_by_label("Første dag").fill(first.isoformat())
    page.get_by_label(format_date(first, "EEEE", locale="da"), exact=True).check()
    page.get_by_label("Starttidspunkt").fill("10:00")
    page.get_by_label("Antal uger").fill("3")
    expect(page.get_by_label("Læg også tider på helligdage")).not_to_be_checked()
    page.get_by_role("button", name="Tilføj tiderne").click()
    notice = page.get_by_role("status")
    expect(notice).to_contain_text("1 tid er tilføjet.")
    expect(notice).to_contain_text(f"{first + timedelta(days=7):%d.%m.%Y} (juleaftensdag)")
    expect(notice).to_contain_text(f"{first + timedelta(days=14):%d.%m.%Y} (nytårsaften)")
    expect(page.get_by_role("heading", name=f"{first:%d.%m.%Y}", exact=False)).to_be_visible()
    staff.step("juleaften-skipped")


def _page_the_slots(staff: Visit, today: date) -> None:
    """The slots page shows this week; "Næste uge" and "Forrige uge" page by week."""
    page = staff.page
    _menu(page, "Tider")
    this_monday = today - timedelta(days=today.weekday())
    expect(page.get_by_role("link", name="Forrige uge")).to_have_count(0)
    staff.step("slots-this-week")
    page.get_by_role("link", name="Næste uge").click()
    next_monday = this_monday + timedelta(days=7)
    expect(page.get_by_role("heading", name="Kommende tider")).to_contain_text(
        f"{next_monday:%d.%m.%Y}"
    )
    staff.step("slots-next-week")
    page.get_by_role("link", name="Forrige uge").click()
    expect(page.get_by_role("heading", name="Kommende tider")).to_contain_text(
        f"{this_monday:%d.%m.%Y}"
    )


def _move_a_meeting_onto_juleaften(staff: Visit, eve: date) -> None:
    """Moving meeting 2 onto juleaften asks for the box first, then moves it."""
    page = staff.page
    _menu(page, "Grupper")
    page.get_by_role("link", name=GROUP, exact=True).click()
    _heading(page, GROUP)
    staff.step("group")
    page.get_by_role("link", name="Flyt møde 2").click()
    _heading(page, f"Flyt møde 2 i {GROUP}")
    page.get_by_label("Ny dato").fill(eve.isoformat())
    page.get_by_label("Nyt starttidspunkt").fill("10:00")
    page.get_by_role("button", name="Flyt mødet").click()
    expect(page.locator("#day-error")).to_contain_text("Den nye dato er en helligdag")
    expect(page.get_by_label("Ny dato")).to_have_value(eve.isoformat())
    staff.step("move-refused-holiday")
    page.get_by_label("Flyt mødet, også hvis den nye dato er en helligdag").check()
    page.get_by_role("button", name="Flyt mødet").click()
    expect(page.get_by_role("status")).to_contain_text(f"{eve:%d.%m.%Y} 10:00")
    expect(page.get_by_text("Helligdag: Juleaftensdag", exact=True)).to_be_visible()
    staff.step("moved-and-flagged")


def _day_views(staff: Visit, today: date) -> None:
    """From today's view to tomorrow's and to the week, Monday to Sunday."""
    page = staff.page
    _menu(page, "I dag")
    views = page.get_by_role("navigation", name="Dage")
    views.get_by_role("link", name="I morgen").click()
    tomorrow = today + timedelta(days=1)
    expect(page.get_by_role("heading", level=1)).to_contain_text("I morgen, ")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{tomorrow:%d.%m.%Y}")
    staff.step("tomorrow")
    page.get_by_role("navigation", name="Dage").get_by_role("link", name="Uge").click()
    days = page.get_by_role("heading", level=2)
    expect(days).to_have_count(7)
    expect(days.first).to_contain_text("mandag")
    expect(days.last).to_contain_text("søndag")
    staff.step("week")


def _print_the_group(staff: Visit) -> None:
    """The group's list, printed: the group's name and meetings, no menu and no forms."""
    page = staff.page
    _menu(page, "Grupper")
    page.get_by_role("link", name=GROUP, exact=True).click()
    page.get_by_role("link", name="Udskriv deltagerliste").click()
    _heading(page, GROUP)
    staff.step("print-page")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_have_text(GROUP)
    expect(page.get_by_role("heading", name="Møder")).to_be_visible()
    expect(page.locator(".staff-nav")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("form")).to_be_hidden()  # the sign-out form in the header
    pdf = page.pdf()
    staff.step("printed")
    page.emulate_media(media="screen")
    expect(page.locator(".staff-nav")).to_be_visible()
    assert pdf.startswith(b"%PDF")


def test_a_centre_employee_plans_around_christmas(
    browser: Visit, served: Served, setup_code: str
) -> None:
    """Pattern across Christmas, slots by week, a meeting moved onto juleaften only when
    confirmed, tomorrow and the week, and the group's list printed without the menu."""
    today = local_today(datetime.now(UTC))
    first = _christmas_week(today)

    sign_in_first_time(browser, USERNAME, setup_code, step="today")
    _pattern_across_christmas(browser, first)
    _page_the_slots(browser, today)
    _move_a_meeting_onto_juleaften(browser, first + timedelta(days=7))
    _day_views(browser, today)
    _print_the_group(browser)

    assert browser.foreign_requests() == []
