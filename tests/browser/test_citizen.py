"""A citizen books in a real browser, in Danish and in English, with and without JavaScript."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from service.db import make_engine
from tests.browser.conftest import Served, Visit
from tests.support.calls import hold_intro

DA_BOOK = "Book en første samtale"
DA_DAYS = "Dage med ledige tider"


def _book(
    visit: Visit, *, book: str, show: str, choose: str, days: str, adult: str, submit: str
) -> str:
    """Walk the three steps from the front page, choosing the second day, and return the code."""
    page = visit.page
    page.get_by_role("link", name=book).click()
    visit.step("municipality")
    page.get_by_label(re.compile("municipality|bopælskommune")).select_option("101")
    page.get_by_role("button", name=show).click()
    visit.step("places")
    page.get_by_role("link", name=re.compile(f"^{choose} Centre A")).click()
    visit.step("time")
    page.get_by_role("navigation", name=days).get_by_role("link").nth(1).click()
    expect(page).to_have_url(re.compile(r"day=\d{4}-\d\d-\d\d"))
    visit.step("day")
    page.get_by_role("radio").first.check()
    page.get_by_label(adult).check()
    page.get_by_role("button", name=submit).click()
    # Wait for the code page: the click does not wait for the page it leads to.
    expect(page.locator(".code .group")).to_have_count(5)
    visit.step("code")
    return "-".join(page.locator(".code .group").all_inner_texts())


def _approve(served: Served, course_id: str) -> None:
    engine = make_engine(served.database_url)
    with sessionmaker(bind=engine)() as session:
        hold_intro(session, course_id, now=datetime.now(UTC))
    engine.dispose()
    answer = httpx.post(
        f"{served.url}/api/v1/courses/{course_id}/decision",
        json={"decision": "approved"},
        headers={"Authorization": f"Bearer {served.world.manage_a}"},
    )
    assert answer.status_code == 200, answer.text


def test_the_whole_booking_in_danish(browser: Visit) -> None:
    """Front page to code to course page, each step scanned and photographed."""
    page = browser.page
    page.goto(browser.base + "/")
    browser.step("landing")
    expect(page.locator("html")).to_have_attribute("lang", "da")

    code = _book(
        browser,
        book=DA_BOOK,
        show="Vis steder",
        choose="Vælg",
        days=DA_DAYS,
        adult="Jeg er 18 år eller derover",
        submit="Book og få min kode",
    )
    page.get_by_role("link", name="Jeg har gemt min kode: fortsæt").click()
    browser.step("course")

    expect(page.get_by_text("Venter på den første samtale.")).to_be_visible()
    assert code not in page.content()
    session = next(c for c in browser.context.cookies() if c["name"] == "__Host-session")
    assert (session["secure"], session["httpOnly"], session["sameSite"]) == (True, True, "Strict")
    assert code.replace("-", "") not in session["value"].upper()


def test_the_whole_booking_in_english(browser: Visit) -> None:
    """English is one click away and stays chosen across the pages."""
    page = browser.page
    page.goto(browser.base + "/")
    page.get_by_role("button", name="English").click()
    browser.step("landing-en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    _book(
        browser,
        book="Book a first talk",
        show="Show places",
        choose="Choose",
        days="Days with free times",
        adult="I am 18 or older",
        submit="Book and get my code",
    )

    expect(page.get_by_role("heading", name="Keep the code safe")).to_be_visible()


def test_the_booking_works_with_javascript_off(plain_browser: Visit) -> None:
    """Every step is a plain link or form."""
    plain_browser.page.goto(plain_browser.base + "/")

    code = _book(
        plain_browser,
        book=DA_BOOK,
        show="Vis steder",
        choose="Vælg",
        days=DA_DAYS,
        adult="Jeg er 18 år eller derover",
        submit="Book og få min kode",
    )

    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code)
    expect(plain_browser.page.locator(".js-print")).to_be_hidden()


def test_a_code_with_a_typo_then_the_right_one(browser: Visit, served: Served) -> None:
    """The check character catches the typo with a message tied to the field."""
    token, _ = served.book_intro(served.world.intro_a[0])
    typo = ("1" if token[0] != "1" else "2") + token[1:]
    page = browser.page
    page.goto(browser.base + "/code")

    page.get_by_label("Din kode").fill(typo)
    page.get_by_role("button", name="Fortsæt").click()
    browser.step("typo")
    field = page.get_by_label("Din kode")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#code-error")).to_contain_text("tastefejl")
    expect(field).to_have_value("")

    field.fill(token.lower())
    page.get_by_role("button", name="Fortsæt").click()
    browser.step("signed-in")
    expect(page.get_by_role("heading", name="Din booking")).to_be_visible()


def test_joining_a_full_group_lands_on_the_waitlist(browser: Visit, served: Served) -> None:
    """Group A holds two; the third approved citizen joins its waitlist as number 1."""
    for slot in served.world.intro_a[:2]:
        token, course = served.book_intro(slot)
        _approve(served, course)
        joined = httpx.post(
            f"{served.url}/api/v1/me/bookings",
            json={"group_id": str(served.world.group_a)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert joined.status_code == 201, joined.text
    token, course = served.book_intro(served.world.intro_a[2])
    _approve(served, course)
    page = browser.page
    page.goto(browser.base + "/code")
    page.get_by_label("Din kode").fill(token)
    page.get_by_role("button", name="Fortsæt").click()
    browser.step("approved")

    page.get_by_role("button", name=re.compile("^Skriv dig på ventelisten")).first.click()
    browser.step("waitlisted")

    expect(page.get_by_role("status")).to_contain_text("nummer 1 på ventelisten")


def test_cancelling_and_erasing(browser: Visit, served: Served) -> None:
    """Cancel the talk and erase everything, each after a confirmation; the code stops working."""
    token, _ = served.book_intro(served.world.intro_a[0])
    page = browser.page
    page.goto(browser.base + "/code")
    page.get_by_label("Din kode").fill(token)
    page.get_by_role("button", name="Fortsæt").click()

    page.get_by_role("link", name="Aflys", exact=True).click()
    browser.step("confirm-cancel")
    page.get_by_role("button", name="Ja, aflys samtalen").click()
    browser.step("cancelled")
    expect(page.get_by_role("status")).to_contain_text("Aflyst.")
    page.get_by_role("link", name="Slet alt").click()
    browser.step("confirm-erase")
    page.get_by_role("button", name="Ja, slet alt").click()
    browser.step("erased")

    expect(page.get_by_role("heading", name="Alt er slettet")).to_be_visible()
    gone = httpx.get(f"{served.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_every_page_answers_with_the_security_headers(browser: Visit, served: Served) -> None:
    """Each document the browser loaded came with no-store, a strict CSP and no referrer."""
    page = browser.page
    for path in ("/", "/book", "/book/places?municipality=101", "/code"):
        page.goto(browser.base + path)

    documents = [r for r in browser.responses if r.request.resource_type == "document"]
    assert len(documents) == 4
    for response in documents:
        headers = response.headers
        assert headers["cache-control"] == "no-store"
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
