"""A centre employee records attendance, a missed intro talk and reads a member's history.

The served app keeps real time, and its rules want times that have come:
attendance once a meeting has begun, a no-show once the talk's time has
begun. The courses are therefore arranged through the rules in the
database, with the group's first meeting and one intro talk moved into the
past; everything the employee does happens through the pages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, reservations
from service.identity import accounts
from service.identity.actors import Actor
from service.models import Booking, Course, Group, GroupSession, Role
from tests.browser.conftest import Served, Visit
from tests.browser.staff_steps import served_database, sign_in_first_time
from tests.conftest import TEST_TOKEN_KEY
from tests.support.calls import hold_intro

USERNAME = "medarbejder.a"
GROUP = "Gruppe"  # the test world's group at centre A


def _course(session: Session, served: Served, slot: int, now: datetime) -> Course:
    """Request a course at centre A and hold its intro talk an hour ago."""
    _, course = pathway.create_course(
        session,
        crypto.Keyring.parse(TEST_TOKEN_KEY),
        home_municipality="101",
        centre_id=served.world.centre_a,
        intro_slot_id=served.world.intro_a[slot],
        language="da",
        now=now,
    )
    session.commit()
    hold_intro(session, str(course.id), now=now)
    return course


@pytest.fixture
def arranged(served: Served) -> dict[str, str]:
    """Two members of the group whose first meeting began, and a course whose intro has passed.

    Returns the references of the members ("first", "second") and of that course ("missed"),
    and the employee's one-time setup code ("code").
    """
    now = datetime.now(UTC)
    staff = Actor(kind="staff", id=None, centre_id=served.world.centre_a)
    with served_database(served) as session:
        members = [_course(session, served, slot, now) for slot in (0, 1)]
        for course in members:
            pathway.decide(session, staff, course.id, pathway.Decision.APPROVED, now=now)
            reservations.join_group(session, course.id, served.world.group_a, now=now)
        missed = _course(session, served, 2, now)
        # The meeting began half an hour ago; the members had their places the day before.
        session.execute(
            update(GroupSession)
            .where(GroupSession.group_id == served.world.group_a, GroupSession.number == 1)
            .values(starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=1))
        )
        session.execute(
            update(Booking)
            .where(Booking.group_id == served.world.group_a)
            .values(placed_at=now - timedelta(days=1))
        )
        made = accounts.create(
            session,
            username=USERNAME,
            role=Role.STAFF,
            centre_id=served.world.centre_a,
            created_by=None,
            profile=crypto.STAFF_PROFILE,
            now=now,
        )
        session.commit()
        assert session.get_one(Group, served.world.group_a).name == GROUP
        return {
            "first": members[0].reference,
            "second": members[1].reference,
            "missed": missed.reference,
            "code": made.setup_code,
        }


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Personale").get_by_role(
        "link", name=name, exact=True
    ).click()
    _heading(page, name)


def _record_the_meeting(staff: Visit, arranged: dict[str, str]) -> None:
    """Everyone attended with one button, then the second member marked absent."""
    page = staff.page
    _menu(page, "Grupper")
    page.get_by_role("link", name=GROUP, exact=True).click()
    _heading(page, GROUP)
    page.get_by_role("link", name="Fremmøde til møde 1").click()
    _heading(page, f"Fremmøde, møde 1 i {GROUP}")
    staff.step("attendance")
    page.get_by_role("button", name="Alle mødt").click()
    expect(page.get_by_role("status")).to_contain_text("Alle 2 er registreret som mødt.")
    expect(page.get_by_label(arranged["second"], exact=True)).to_be_checked()
    staff.step("all-attended")
    page.get_by_label(arranged["second"], exact=True).uncheck()
    page.get_by_role("button", name="Gem fremmødet").click()
    expect(page.get_by_role("status")).to_have_text("Fremmødet er gemt: 1 af 2 var til stede.")
    staff.step("one-absent")


def _close_as_never_came(staff: Visit, reference: str) -> None:
    """Record the missed intro talk, then close the course as never came."""
    page = staff.page
    _menu(page, "Forløb")
    page.get_by_role("link", name=reference, exact=True).click()
    _heading(page, f"Forløb {reference}")
    staff.step("course-requested")
    page.get_by_role("button", name="Udeblev fra første samtale").click()
    expect(page.get_by_role("status")).to_have_text(
        "Udeblivelse fra første samtale er registreret."
    )
    staff.step("intro-no-show")
    page.get_by_role("button", name="Afslut som udeblevet fra første samtale").click()
    expect(page.get_by_text("Status: Udeblev fra første samtale")).to_be_visible()
    staff.step("never-came")


def _read_the_history(staff: Visit, reference: str, shown: str) -> None:
    """Open a member's course page: meeting 1 as recorded, the three to come."""
    page = staff.page
    _menu(page, "Forløb")
    page.get_by_role("link", name=reference, exact=True).click()
    _heading(page, f"Forløb {reference}")
    history = page.locator("table.attendance-history")
    expect(history.locator("tbody tr").first).to_contain_text(shown)
    expect(history.get_by_text("Kommende møde")).to_have_count(3)
    staff.step(f"history-{shown.lower()}")


def test_a_centre_employee_records_attendance_and_a_missed_intro(
    browser: Visit, arranged: dict[str, str]
) -> None:
    """Alle mødt, one absent, a no-show closed as never came, and the history, scanned by axe."""
    sign_in_first_time(browser, USERNAME, arranged["code"], step="signed-in")
    _record_the_meeting(browser, arranged)
    _close_as_never_came(browser, arranged["missed"])
    _read_the_history(browser, arranged["first"], "Mødt")
    _read_the_history(browser, arranged["second"], "Fraværende")

    assert browser.foreign_requests() == []
