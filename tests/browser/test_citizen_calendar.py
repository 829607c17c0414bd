"""A citizen makes a private calendar link on /my, reads what it means, and revokes it."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import Served, Visit
from tests.support import ics


def _sign_in(visit: Visit, served: Served) -> None:
    token, _ = served.book_intro()
    page = visit.page
    page.goto(visit.base + "/code")
    page.get_by_label("Din kode").fill(token)
    page.get_by_role("button", name="Fortsæt").click()


def test_a_citizen_makes_the_calendar_link_and_revokes_it(browser: Visit, served: Served) -> None:
    """The explanation comes before the button; the link works until it is revoked."""
    _sign_in(browser, served)
    page = browser.page
    box = page.locator("section.calendar-feed")
    expect(box).to_contain_text('Udbyderen får "Aftale", tiderne og stedets adresse, intet andet.')
    browser.step("my-page-explains")

    page.get_by_role("button", name="Lav et kalenderlink").click()
    expect(page.get_by_role("heading", name="Dit kalenderlink")).to_be_visible()
    browser.step("link-shown-once")
    address = page.get_by_label("kopiér linket").input_value()
    webcal = page.get_by_role("link", name="Abonnér i din kalender").get_attribute("href")
    fetched = httpx.get(address)

    page.get_by_role("link", name="Tilbage til din booking").click()
    expect(page.locator("section.calendar-feed")).to_contain_text("Du har et kalenderlink")
    browser.step("link-exists")
    page.get_by_role("button", name="Tilbagekald kalenderlinket").click()
    expect(page.get_by_role("status")).to_contain_text("Kalenderlinket er tilbagekaldt.")
    browser.step("revoked")

    assert webcal == "webcal://" + address.split("://", 1)[1]
    assert fetched.status_code == 200
    assert [event.summary for event in ics.read(fetched.text)] == ["Aftale"]
    assert httpx.get(address).status_code == 404
    expect(page.get_by_role("button", name="Lav et kalenderlink")).to_be_visible()
