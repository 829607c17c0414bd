"""A centre employee carries a citizen on the phone through the whole pathway, in a real browser.

The citizen has booked an intro talk and reads out the course reference from
the card. The employee finds the course by it, moves the talk, and, once the
decision is recorded, gives a group place, books the closing talk, cancels it
and books it again. The served app keeps real time, so between the steps the
test moves the intro talk into the past in the database, as the other staff
browser test does; everything else happens through the pages.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

import crypto
from service.booking import pathway
from service.identity import accounts
from service.models import Booking, BookingKind, BookingStatus, Role, Slot
from tests.browser.conftest import Served, Visit
from tests.browser.staff_steps import served_database
from tests.conftest import TEST_TOKEN_KEY
from tests.support.world import HOME

USERNAME = "medarbejder.a"
PASSWORD = "en lang og hemmelig sætning"


@pytest.fixture
def served_settings() -> dict[str, str]:
    """Sign in with a password alone; two-factor sign-in has tests of its own."""
    return {"DISKRET_STAFF_TOTP_ROLES": ""}


@pytest.fixture
def caller(served: Served) -> tuple[str, str]:
    """Book an intro at centre A as a citizen would and add the employee; return id, reference."""
    with served_database(served) as session:
        _, course = pathway.create_course(
            session,
            crypto.Keyring.parse(TEST_TOKEN_KEY),
            home_municipality=HOME,
            centre_id=served.world.centre_a,
            intro_slot_id=served.world.intro_a[0],
            language="da",
            now=datetime.now(UTC),
        )
        made = accounts.create(
            session,
            username=USERNAME,
            role=Role.STAFF,
            centre_id=served.world.centre_a,
            created_by=None,
            profile=crypto.TEST_PROFILE,
            now=datetime.now(UTC),
        )
        made.account.password_hash = crypto.hash_password(PASSWORD, profile=crypto.TEST_PROFILE)
        made.account.must_set_password = False
        session.commit()
        return str(course.id), course.reference


def _status(page: Page, text: str) -> None:
    expect(page.get_by_role("status")).to_have_text(text)


def _sign_in(staff: Visit) -> None:
    page = staff.page
    page.goto(staff.base + "/staff/login")
    page.get_by_label("Brugernavn").fill(USERNAME)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("navigation", name="Personale")).to_be_visible()
    staff.step("signed-in")


def _find(staff: Visit, reference: str) -> None:
    """Find the course from the reference as the citizen reads it out: small letters, no dash."""
    page = staff.page
    page.get_by_role("navigation", name="Personale").get_by_role("link", name="Forløb").click()
    staff.step("courses")
    page.get_by_label("Find forløb ud fra reference").fill(reference.lower().replace("-", " "))
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Forløb {reference}")
    staff.step("found")


def _book_intro(staff: Visit, served: Served) -> None:
    page = staff.page
    page.get_by_label("Tid til første samtale").select_option(str(served.world.intro_a[1]))
    page.get_by_role("button", name="Flyt første samtale").click()
    _status(page, "Den første samtale er booket.")
    staff.step("intro-booked")


def _hold_the_booked_intro(served: Served, course: str) -> None:
    """Move the booked intro talk (not the cancelled one) to an hour ago, as if it had been held."""
    now = datetime.now(UTC)
    with served_database(served) as session:
        slot = session.scalars(
            select(Booking.slot_id).where(
                Booking.course_id == uuid.UUID(course),
                Booking.kind == BookingKind.INTRO,
                Booking.status == BookingStatus.BOOKED,
            )
        ).one()
        session.execute(
            update(Slot)
            .where(Slot.id == slot)
            .values(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))
        )
        session.commit()


def _approve(staff: Visit, served: Served, course: str) -> None:
    page = staff.page
    _hold_the_booked_intro(served, course)
    page.reload()
    page.get_by_label("Godkendt til anonym behandling").check()
    page.get_by_role("button", name="Gem afgørelsen").click()
    _status(page, "Afgørelsen er gemt.")
    staff.step("approved")


def _join_group(staff: Visit, served: Served) -> None:
    page = staff.page
    page.get_by_label("Gruppe", exact=True).select_option(str(served.world.group_a))
    page.get_by_role("button", name="Giv plads i gruppen").click()
    _status(page, "Forløbet har fået en plads i gruppen.")
    expect(page.get_by_text("Status: I gruppe")).to_be_visible()
    staff.step("in-group")


def _book_closing(staff: Visit, served: Served, step: str) -> None:
    page = staff.page
    page.get_by_label("Tid til afsluttende samtale").select_option(str(served.world.closing_late_a))
    page.get_by_role("button", name="Book afsluttende samtale").click()
    _status(page, "Den afsluttende samtale er booket.")
    staff.step(step)


def _closing_too_early(staff: Visit, served: Served) -> None:
    """A closing talk inside the group is refused by the field, as the citizen is refused."""
    page = staff.page
    page.get_by_label("Tid til afsluttende samtale").select_option(
        str(served.world.closing_early_a)
    )
    page.get_by_role("button", name="Book afsluttende samtale").click()
    expect(page.locator("#closing-slot-error")).to_have_text(
        "Den afsluttende samtale skal ligge efter gruppens sidste møde."
    )
    staff.step("closing-too-early")


def _cancel_closing(staff: Visit) -> None:
    page = staff.page
    page.get_by_role("group", name="Hvad skal aflyses?").get_by_label("Afsluttende samtale").check()
    page.get_by_role("button", name="Aflys for borgeren").click()
    _status(page, "Den afsluttende samtale er aflyst.")
    staff.step("closing-cancelled")


def test_a_centre_employee_carries_a_phone_caller_through_the_pathway(
    browser: Visit, served: Served, caller: tuple[str, str]
) -> None:
    """Find by reference, move the intro, approve, group, closing talk, cancel and book again."""
    course, reference = caller
    _sign_in(browser)
    _find(browser, reference)
    _book_intro(browser, served)
    _approve(browser, served, course)
    _join_group(browser, served)
    _closing_too_early(browser, served)
    _book_closing(browser, served, "closing-booked")
    _cancel_closing(browser)
    _book_closing(browser, served, "closing-booked-again")

    live = browser.page.get_by_role("group", name="Hvad skal aflyses?")
    expect(live.get_by_label("Afsluttende samtale")).to_have_count(1)
    expect(live.get_by_label("Plads i ")).to_have_count(1)
    assert browser.page.url.endswith(f"/staff/courses/{course}")
