"""Help when it is needed, in a browser: the help box, the quick exit, the code and the card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Route, expect
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from service.db import make_engine
from service.models import Centre
from tests.browser.conftest import Served, Visit

# The neutral site the quick exit leaves for: configured for the served app and
# answered by the browser itself, so no request leaves the machine.
NEUTRAL = "https://neutral.example/"
NEUTRAL_PAGE = '<!doctype html><html lang="da"><title>Nyheder</title><main><h1>Nyheder</h1></main>'
CENTRE_PHONE = "33 12 34 56"
ERROR_RED = "rgb(163, 35, 31)"  # --error in style.css


@pytest.fixture
def served_settings() -> dict[str, str]:
    """Send the quick exit to the stand-in neutral site."""
    return {"DISKRET_QUICK_EXIT_URL": NEUTRAL}


def _neutral_site(visit: Visit) -> None:
    """Answer the neutral site's address in the browser, as that site would."""

    def answer(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)

    visit.context.route(NEUTRAL + "**", answer)


def _left_only_for_the_neutral_site(visit: Visit) -> None:
    """Check that the neutral site was the only place outside the app, then forget it.

    The fixture's own check (no request leaves the app) then holds for everything else.
    """
    outside = visit.foreign_requests()
    assert outside
    assert all(url.startswith(NEUTRAL) for url in outside), outside
    visit.requests[:] = [url for url in visit.requests if not url.startswith(NEUTRAL)]


def _to_the_booking(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.base + "/")
    visit.step("landing")
    page.get_by_role("link", name="Book en første samtale").click()
    expect(page).to_have_url(visit.base + "/book")
    visit.step("book")


def test_the_quick_exit_leaves_and_takes_this_page_out_of_the_history(browser: Visit) -> None:
    """With JavaScript, "back" from the neutral site skips the page that was left."""
    _neutral_site(browser)
    _to_the_booking(browser)
    page = browser.page

    page.get_by_role("link", name="Forlad siden hurtigt").click()
    expect(page).to_have_url(NEUTRAL)
    page.screenshot(path=browser.folder / "03-neutral.png")
    page.go_back()

    expect(page).to_have_url(browser.base + "/")
    _left_only_for_the_neutral_site(browser)


def test_the_quick_exit_works_as_a_plain_link_without_javascript(plain_browser: Visit) -> None:
    """Without JavaScript the link still leaves at once; "back" then returns to the page left."""
    _neutral_site(plain_browser)
    _to_the_booking(plain_browser)
    page = plain_browser.page

    page.get_by_role("link", name="Forlad siden hurtigt").click()
    expect(page).to_have_url(NEUTRAL)
    page.go_back()

    expect(page).to_have_url(plain_browser.base + "/book")
    _left_only_for_the_neutral_site(plain_browser)


def _give_phone(served: Served) -> None:
    engine = make_engine(served.database_url)
    with sessionmaker(bind=engine)() as session:
        session.execute(
            update(Centre).where(Centre.id == served.world.centre_a).values(phone=CENTRE_PHONE)
        )
        session.commit()
    engine.dispose()


def test_the_help_box_on_a_phone_from_the_landing_page_to_my_page(
    browser: Visit, served: Served
) -> None:
    """390 by 844: the box on every step, centre A's number on its card, in its box and on /my."""
    _give_phone(served)
    page = browser.page
    page.set_viewport_size({"width": 390, "height": 844})
    help_box = page.get_by_role("complementary", name="Brug for hjælp nu?")

    _to_the_booking(browser)
    expect(help_box).to_contain_text("112")
    page.get_by_label(re.compile("bopælskommune")).select_option("101")
    page.get_by_role("button", name="Vis steder").click()
    browser.step("places")
    expect(help_box).to_contain_text("Livslinien, 70 201 201")
    card = page.locator(".place", has=page.get_by_role("heading", name="Centre A"))
    expect(card.get_by_role("link", name=CENTRE_PHONE)).to_have_attribute("href", "tel:+4533123456")
    page.get_by_role("link", name=re.compile("^Vælg Centre A")).click()
    browser.step("time")
    expect(help_box).to_contain_text(f"Centre A, {CENTRE_PHONE}")
    page.get_by_role("radio").first.check()
    page.get_by_label("Jeg er 18 år eller derover").check()
    page.get_by_role("button", name="Book og få min kode").click()
    expect(page.locator(".code .group")).to_have_count(5)
    browser.step("code")
    expect(page.locator("#leaving")).to_be_visible()
    page.get_by_role("link", name="Jeg har gemt min kode: fortsæt").click()
    browser.step("my")

    expect(page.get_by_role("heading", name="Din booking")).to_be_visible()
    expect(help_box.get_by_role("link", name=CENTRE_PHONE)).to_be_visible()
    expect(page.get_by_role("link", name="Forlad siden hurtigt")).to_be_in_viewport()


def test_the_qr_code_fills_its_box_and_the_print_button_shows_with_javascript(
    browser: Visit, served: Served
) -> None:
    """The SVG is as wide as its box; the print item appears; the card names the site."""
    page = browser.page
    _to_the_booking(browser)
    page.get_by_label(re.compile("bopælskommune")).select_option("101")
    page.get_by_role("button", name="Vis steder").click()
    page.get_by_role("link", name=re.compile("^Vælg Centre A")).click()
    page.get_by_role("radio").first.check()
    page.get_by_label("Jeg er 18 år eller derover").check()
    page.get_by_role("button", name="Book og få min kode").click()
    expect(page.locator(".code .group")).to_have_count(5)
    browser.step("code")

    box = page.locator(".qr").bounding_box()
    drawn = page.locator(".qr svg").bounding_box()
    assert box
    assert drawn
    assert drawn["width"] == pytest.approx(box["width"], abs=1)
    assert drawn["width"] > 150
    expect(page.locator(".qr figcaption")).to_be_visible()
    expect(page.get_by_role("button", name="Print kortet")).to_be_visible()
    expect(page.locator("#card")).to_contain_text(f"Brug koden på {served.url}")


def test_a_mistyped_code_shows_the_fields_error_state(browser: Visit, served: Served) -> None:
    """Empty field, red border, the message tied to it, and the next try works."""
    token, _ = served.book_intro()
    typo = ("1" if token[0] != "1" else "2") + token[1:]
    page = browser.page
    page.goto(browser.base + "/code")

    field = page.get_by_label("Din kode")
    field.fill(typo)
    page.get_by_role("button", name="Fortsæt").click()
    browser.step("typo")

    expect(field).to_have_value("")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        re.compile("^Koden har en tastefejl. Skriv koden igen.")
    )
    expect(field).to_have_css("border-top-color", ERROR_RED)
    field.fill(token)
    page.get_by_role("button", name="Fortsæt").click()
    expect(page.get_by_role("heading", name="Din booking")).to_be_visible()
