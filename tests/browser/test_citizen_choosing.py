"""A citizen chooses a day and a time, or books the soonest, with and without JavaScript."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from service.core.clock import local_to_utc, local_today
from service.db import make_engine
from service.models import Centre, SlotKind
from tests.browser.conftest import Served, Visit
from tests.support.world import add_slot

LATER = 10  # days from today: a day with two free times at Centre A


def _add_two_times_later(served: Served) -> str:
    """Give Centre A two free talks, at 10:00 and 11:00, on a later day; return the day."""
    on = local_today(datetime.now(UTC)) + timedelta(days=LATER)
    engine = make_engine(served.database_url)
    with sessionmaker(bind=engine)() as session:
        centre = session.get_one(Centre, served.world.centre_a)
        for hour in (10, 11):
            add_slot(session, centre, SlotKind.INTRO, local_to_utc(on, time(hour)))
        session.commit()
    engine.dispose()
    return on.isoformat()


def _places(visit: Visit) -> None:
    """Go from the booking's first step to the places of København."""
    page = visit.page
    page.goto(visit.base + "/book")
    page.get_by_label(re.compile("municipality|bopælskommune")).select_option("101")
    page.get_by_role("button", name=re.compile("Vis steder|Show places")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Vælg et sted|Choose a"))


@pytest.mark.parametrize("profile", ["browser", "plain_browser"])
def test_choosing_a_later_day_then_a_time(
    profile: str, served: Served, request: pytest.FixtureRequest
) -> None:
    """The days come first; a later day's link shows its two times; with JavaScript on and off."""
    browser: Visit = request.getfixturevalue(profile)
    later = _add_two_times_later(served)
    page = browser.page
    _places(browser)
    browser.step("places")
    page.get_by_role("link", name="Vælg Centre A").click()
    days = page.get_by_role("navigation", name="Dage med ledige tider")
    expect(days.get_by_role("link")).to_have_count(5)
    expect(page.get_by_role("radio")).to_have_count(1)
    browser.step("first-day")

    days.get_by_role("link").nth(4).click()
    expect(page).to_have_url(re.compile(f"day={later}"))
    expect(page.get_by_role("radio")).to_have_count(2)
    expect(days.locator('[aria-current="page"]')).to_have_attribute("href", re.compile(later))
    browser.step("later-day")
    page.get_by_role("radio", name="11:00\u201311:45").check()
    page.get_by_label("Jeg er 18 år eller derover").check()
    page.get_by_role("button", name="Book og få min kode").click()
    expect(page.locator(".code .group")).to_have_count(5)
    browser.step("code")

    expect(page.locator(".card")).to_contain_text("11:00")


def test_booking_the_soonest_without_javascript_on_a_phone(plain_browser: Visit) -> None:
    """The shortcut is a plain form; its 18+ error appears right above the box and its label."""
    page = plain_browser.page
    page.set_viewport_size({"width": 390, "height": 844})
    _places(plain_browser)
    box = page.locator("section.soonest-box")
    shown = box.locator("strong").inner_text()
    plain_browser.step("places")

    box.get_by_role("button", name="Book den første ledige tid").click()
    error = page.locator("#adult-error")
    expect(error).to_contain_text("18 år")
    plain_browser.step("no-confirmation")
    error_box, tick_box = error.bounding_box(), page.get_by_label("Jeg er 18 år").bounding_box()
    page.get_by_label("Jeg er 18 år eller derover").check()
    page.get_by_role("button", name="Book den første ledige tid").click()
    expect(page.locator(".code .group")).to_have_count(5)
    plain_browser.step("code")

    assert error_box is not None
    assert tick_box is not None
    assert 0 <= tick_box["y"] - (error_box["y"] + error_box["height"]) < 40
    expect(page.locator(".card")).to_contain_text(shown)


def test_booking_the_soonest_in_english(browser: Visit) -> None:
    """In English the soonest time reads "Tuesday 8 December 2026, 10:00" and books as shown."""
    page = browser.page
    page.goto(browser.base + "/")
    page.get_by_role("button", name="English").click()
    _places(browser)
    box = page.locator("section.soonest-box")
    shown = box.locator("strong").inner_text()
    browser.step("places-en")

    box.get_by_label("I am 18 or older").check()
    box.get_by_role("button", name="Book the soonest time").click()
    expect(page.locator(".code .group")).to_have_count(5)
    browser.step("code-en")

    assert re.fullmatch(r"[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d", shown)
    expect(page.locator(".card")).to_contain_text(shown)
