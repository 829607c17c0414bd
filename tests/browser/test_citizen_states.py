"""A citizen walks every state of a course in a real browser: Danish, English, JavaScript off.

At each state the page offers the next step the rules allow and no step
they refuse; each step the citizen takes is clicked. What only staff do
(holding the intro talk, the decision, closing the course) and what other
citizens do (filling the group, leaving it) is put in place through the
rules and the API on the served database, as the staff browser tests do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect

from service.booking import pathway, talks
from service.identity.actors import Actor
from service.models import BookingKind
from tests.browser.conftest import Served, Visit
from tests.browser.staff_steps import served_database
from tests.support.calls import hold_intro


@dataclass(frozen=True)
class Words:
    """The words a citizen clicks and reads, in one language."""

    code: str
    go: str
    move: str
    cancel: str
    cancel_yes: str
    book_intro: str
    book_time: str
    join_waitlist: str
    leave_waitlist: str
    leave_group: str
    book_closing: str
    news: str
    news_ok: str
    next_heading: str
    next_meeting: str
    erase: str
    erase_yes: str
    erased: str
    back: str


DANISH = Words(
    code="Din kode",
    go="Fortsæt",
    move="Flyt",
    cancel="Aflys",
    cancel_yes="Ja, aflys samtalen",
    book_intro="Book en ny tid til din første samtale",
    book_time="Book denne tid",
    join_waitlist="Skriv dig på ventelisten til Gruppe",
    leave_waitlist="Forlad ventelisten",
    leave_group="Forlad gruppen",
    book_closing="Book den afsluttende samtale",
    news="Du har fået en plads i Gruppe.",
    news_ok="OK, jeg har læst det",
    next_heading="Hvad sker der nu",
    next_meeting="Dit næste møde:",
    erase="Slet alt",
    erase_yes="Ja, slet alt",
    erased="Alt er slettet",
    back="Nej, gå tilbage",
)
ENGLISH = Words(
    code="Your code",
    go="Continue",
    move="Move",
    cancel="Cancel",
    cancel_yes="Yes, cancel the talk",
    book_intro="Book a new time for your first talk",
    book_time="Book this time",
    join_waitlist="Join the waitlist of Gruppe",
    leave_waitlist="Leave the waitlist",
    leave_group="Leave the group",
    book_closing="Book the closing talk",
    news="You have a place in Gruppe.",
    news_ok="OK, I have read it",
    next_heading="What happens next",
    next_meeting="Your next meeting:",
    erase="Erase everything",
    erase_yes="Yes, erase everything",
    erased="Everything is erased",
    back="No, go back",
)
STEPS = (
    "move",
    "cancel",
    "book_intro",
    "join_waitlist",
    "leave_waitlist",
    "leave_group",
    "book_closing",
)


def _staff(served: Served) -> Actor:
    return Actor(kind="staff", id=uuid.uuid4(), centre_id=served.world.centre_a)


def _decide(served: Served, course: str, decision: pathway.Decision) -> None:
    """Hold the intro talk and record the centre's decision, as staff would."""
    with served_database(served) as session:
        now = datetime.now(UTC)
        hold_intro(session, course, now=now)
        pathway.decide(session, _staff(served), uuid.UUID(course), decision, now=now)
        session.commit()


def _close(served: Served, course: str, outcome: pathway.Outcome) -> None:
    with served_database(served) as session:
        now = datetime.now(UTC)
        pathway.record_outcome(session, _staff(served), uuid.UUID(course), outcome, now=now)
        session.commit()


def _member(served: Served, slot: uuid.UUID) -> str:
    """Give another citizen a place in group A; return their code."""
    token, course = served.book_intro(slot)
    _decide(served, course, pathway.Decision.APPROVED)
    joined = httpx.post(
        f"{served.url}/api/v1/me/bookings",
        json={"group_id": str(served.world.group_a)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert joined.status_code == 201, joined.text
    return token


def _leave(served: Served, token: str) -> None:
    me = httpx.get(f"{served.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    (place,) = [b["id"] for b in me.json()["bookings"] if b["kind"] == "group"]
    left = httpx.delete(
        f"{served.url}/api/v1/me/bookings/{place}", headers={"Authorization": f"Bearer {token}"}
    )
    assert left.status_code == 200, left.text


def _sign_in(visit: Visit, words: Words, token: str, *, english: bool) -> None:
    page = visit.page
    page.goto(visit.base + "/code")
    if english:
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label(words.code).fill(token)
    page.get_by_role("button", name=words.go).click()
    expect(page.locator("h1")).to_have_count(1)


def _offers(page: Page, words: Words, *offered: str) -> None:
    """Assert that the page offers these steps and none of the others."""
    for name in STEPS:
        label = getattr(words, name)
        found = page.get_by_role("link", name=label, exact=True).or_(
            page.get_by_role("button", name=label, exact=True)
        )
        expect(found).to_have_count(1 if name in offered else 0)


def _walk(visit: Visit, served: Served, words: Words, *, english: bool) -> None:
    """Walk a course through every state, from the intro talk to erasing it."""
    members = [_member(served, slot) for slot in served.world.intro_a[1:3]]
    token, course = served.book_intro(served.world.intro_a[0])
    page = visit.page
    _sign_in(visit, words, token, english=english)
    visit.step("requested")
    _offers(page, words, "move", "cancel")
    expect(page.get_by_role("heading", name=words.next_heading)).to_be_visible()

    page.get_by_role("link", name=words.cancel, exact=True).click()
    visit.step("confirm-cancel-intro")
    page.get_by_role("button", name=words.cancel_yes).click()
    visit.step("intro-cancelled")
    _offers(page, words, "book_intro")

    page.get_by_role("link", name=words.book_intro).click()
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name=words.book_time).click()
    visit.step("intro-booked-again")
    _offers(page, words, "move", "cancel")

    _decide(served, course, pathway.Decision.APPROVED)
    page.reload()
    visit.step("approved")
    _offers(page, words, "join_waitlist")

    page.get_by_role("button", name=words.join_waitlist).click()
    visit.step("waitlisted")
    _offers(page, words, "leave_waitlist")

    _leave(served, members[0])
    page.reload()
    visit.step("promoted")
    expect(page.get_by_text(words.news)).to_be_visible()
    page.get_by_role("button", name=words.news_ok).click()
    visit.step("in-group")
    expect(page.get_by_text(words.news)).to_have_count(0)
    expect(page.get_by_text(words.next_meeting)).to_be_visible()
    _offers(page, words, "leave_group", "book_closing")
    _from_the_closing_talk_to_erasing(visit, served, words, course)


def _from_the_closing_talk_to_erasing(
    visit: Visit, served: Served, words: Words, course: str
) -> None:
    """Book the closing talk, look at leaving, let the centre complete the course, erase it."""
    page = visit.page
    page.get_by_role("link", name=words.book_closing).click()

    expect(page.get_by_role("radio")).to_have_count(1)  # the time inside the group is not offered
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name=words.book_time).click()
    visit.step("closing-booked")
    _offers(page, words, "leave_group", "move", "cancel")

    page.get_by_role("link", name=words.leave_group).click()
    visit.step("confirm-leave-group")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gruppe?")
    page.get_by_role("link", name=words.back).click()
    _offers(page, words, "leave_group", "move", "cancel")

    _close(served, course, pathway.Outcome.COMPLETED)
    page.reload()
    visit.step("completed")
    _offers(page, words)

    page.get_by_role("link", name=words.erase).click()
    page.get_by_role("button", name=words.erase_yes).click()
    visit.step("erased")
    expect(page.get_by_role("heading", name=words.erased)).to_be_visible()


def test_every_state_in_danish(browser: Visit, served: Served) -> None:
    """Danish, with JavaScript: each state offers its next step and nothing it would refuse."""
    _walk(browser, served, DANISH, english=False)


def test_every_state_in_english(browser: Visit, served: Served) -> None:
    """English, with JavaScript: the same walk, in English."""
    _walk(browser, served, ENGLISH, english=True)


def test_every_state_without_javascript(plain_browser: Visit, served: Served) -> None:
    """JavaScript off: every step is a link or a form, confirmations included."""
    _walk(plain_browser, served, DANISH, english=False)


@pytest.mark.parametrize("ending", ["referred", "never_came"])
def test_a_course_that_ended_before_a_group_offers_nothing_but_erasing(
    browser: Visit, served: Served, ending: str
) -> None:
    """Referred after the talk, or closed after a missed talk: no step but erasing is offered."""
    token, course = served.book_intro(served.world.intro_a[0])
    if ending == "referred":
        _decide(served, course, pathway.Decision.REFERRED)
    else:
        with served_database(served) as session:
            now = datetime.now(UTC)
            hold_intro(session, course, now=now)
            talks.record_no_show(
                session, _staff(served), uuid.UUID(course), BookingKind.INTRO, now=now
            )
            session.commit()
        _sign_in(browser, DANISH, token, english=False)
        browser.step("intro-missed")
        _offers(browser.page, DANISH, "book_intro")
        _close(served, course, pathway.Outcome.NEVER_CAME)

    _sign_in(browser, DANISH, token, english=False)
    browser.step(ending)

    _offers(browser.page, DANISH)
    expect(browser.page.get_by_role("link", name=DANISH.erase)).to_be_visible()
