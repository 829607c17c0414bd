"""A centre admin plans a group and intro talks, and follows one citizen's course to its end;
a centre employee books for a citizen on the phone and meets a staff error page.

Staff and citizen each have a browser of their own, sharing no cookies. The
served app keeps real time, and its rules want times that have come: a
decision only after the intro talk (SPEC rule 3), attendance only once a
meeting has begun. Between the steps the test therefore moves the talk, and
later the first meeting, into the past in the database, as the citizen test
does; everything else happens through the pages.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

import crypto
from service.core.clock import local_today
from service.identity import accounts
from service.models import Booking, Group, GroupSession, Role
from service.web.choosing import EN_DASH
from tests.browser.conftest import Served, Visit
from tests.browser.staff_steps import served_database
from tests.support.calls import hold_intro

USERNAME = "leder.a"
EMPLOYEE = "medarbejder.a"
PASSWORD = "en lang og hemmelig sætning"
GROUP = "Aftengruppen"
WORKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag")
INTRO_AT = time(10, 0)


@pytest.fixture
def served_settings() -> dict[str, str]:
    """Sign in with a password alone, whatever roles the app requires two-factor sign-in for."""
    # Two-factor sign-in has its own tests; this one is about the rest of the staff's work.
    return {"DISKRET_STAFF_TOTP_ROLES": ""}


def _create_account(served: Served, username: str, role: Role) -> str:
    """Create an account of centre A in the served database; return its one-time setup code."""
    with served_database(served) as session:
        made = accounts.create(
            session,
            username=username,
            role=role,
            centre_id=served.world.centre_a,
            created_by=None,
            profile=crypto.STAFF_PROFILE,
            now=datetime.now(UTC),
        )
        session.commit()
    return made.setup_code


@pytest.fixture
def setup_code(served: Served) -> str:
    """Create centre A's admin in the served database; return the one-time setup code."""
    return _create_account(served, USERNAME, Role.CENTRE_ADMIN)


def _begin_first_meeting(served: Served) -> None:
    """Move the group's first meeting to half an hour ago, as if its day had come.

    The member's place moves back with it, to the day before: a meeting's list
    holds only those whose place was granted before it began.
    """
    now = datetime.now(UTC)
    with served_database(served) as session:
        group = session.scalars(select(Group.id).where(Group.name == GROUP)).one()
        session.execute(
            update(GroupSession)
            .where(GroupSession.group_id == group, GroupSession.number == 1)
            .values(starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=1))
        )
        session.execute(
            update(Booking)
            .where(Booking.group_id == group)
            .values(placed_at=now - timedelta(days=1))
        )
        session.commit()


def _heading(page: Page, text: str) -> None:
    """Wait for the page whose main heading reads ``text``."""
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _menu(page: Page, name: str) -> None:
    """Follow a link of the staff menu to the page of that name."""
    menu = page.get_by_role("navigation", name="Personale")
    menu.get_by_role("link", name=name, exact=True).click()
    _heading(page, name)


def _first_workday(start: date) -> date:
    return next(d for d in (start + timedelta(days=n) for n in range(7)) if d.weekday() < 5)


def _sign_in_first_time(staff: Visit, setup_code: str, username: str = USERNAME) -> None:
    page = staff.page
    page.goto(staff.base + "/staff/login")
    staff.step("login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(setup_code)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Vælg din adgangskode")).to_be_visible()
    staff.step("choose-password")
    page.get_by_label("Ny adgangskode").fill(PASSWORD)
    page.get_by_label("Gentag den nye adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Gem adgangskoden").click()
    expect(page.get_by_role("status")).to_contain_text("Din adgangskode er gemt.")
    staff.step("day")


def _create_group(staff: Visit, first: date) -> None:
    page = staff.page
    _menu(page, "Grupper")
    staff.step("groups")
    page.get_by_label("Navn", exact=True).fill(GROUP)
    page.get_by_label("Første dag").fill(first.isoformat())
    page.get_by_label(format_date(first, "EEEE", locale="da"), exact=True).check()
    page.get_by_label("Starttidspunkt").fill("17:00")
    page.get_by_label("Antal uger").fill("4")
    # Four meetings whatever today's date: none is skipped for a holiday.
    page.get_by_label("Læg også tider på helligdage").check()
    page.get_by_role("button", name="Opret gruppen").click()
    expect(page.get_by_role("status")).to_have_text("Gruppen er oprettet med 4 møder.")
    _heading(page, GROUP)
    staff.step("group-created")


def _add_a_week_of_intro_talks(staff: Visit, first: date) -> None:
    page = staff.page
    _menu(page, "Tider")
    staff.step("slots")
    page.get_by_role("link", name="Tilføj flere tider efter et ugentligt mønster").click()
    _heading(page, "Tider efter et ugentligt mønster")
    staff.step("pattern")
    page.get_by_label("Første dag").fill(first.isoformat())
    for weekday in WORKDAYS:
        page.get_by_label(weekday, exact=True).check()
    page.get_by_label("Starttidspunkt").fill(f"{INTRO_AT:%H:%M}")
    page.get_by_label("Antal uger").fill("1")
    page.get_by_label("Slags samtale").select_option(label="Første samtale")
    # Five talks whatever today's date: none is skipped for a holiday.
    page.get_by_label("Læg også tider på helligdage").check()
    page.get_by_role("button", name="Tilføj tiderne").click()
    expect(page.get_by_role("status")).to_have_text("5 tider er tilføjet.")
    staff.step("slots-added")


def _book_intro(citizen: Visit, day: date) -> str:
    """Book the intro talk at 10:00 that day at centre A; return the code shown."""
    page = citizen.page
    page.goto(citizen.base + "/")
    page.get_by_role("link", name="Book en første samtale").click()
    page.get_by_label("bopælskommune").select_option("101")
    page.get_by_role("button", name="Vis steder").click()
    page.get_by_role("link", name=re.compile("^Vælg Centre A")).click()
    _heading(page, "Vælg en tid")
    citizen.step("time")
    on = format_date(day, "EEEE d. MMMM y", locale="da")
    page.get_by_role("navigation", name="Dage med ledige tider").get_by_role(
        "link", name=on, exact=True
    ).click()
    citizen.step("day")
    page.get_by_label(re.compile("^" + re.escape(f"{INTRO_AT:%H:%M}{EN_DASH}"))).check()
    shown = f"{on}, {INTRO_AT:%H:%M}"
    page.get_by_label("Jeg er 18 år eller derover").check()
    page.get_by_role("button", name="Book og få min kode").click()
    expect(page.get_by_text(f"Første samtale: {shown}")).to_be_visible()
    citizen.step("code")
    code = "-".join(page.locator(".code .group").all_inner_texts())
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code)
    return code


def _keep_the_code_and_sign_out(citizen: Visit) -> None:
    page = citizen.page
    page.get_by_role("link", name="Jeg har gemt min kode: fortsæt").click()
    expect(page.get_by_text("Venter på den første samtale.")).to_be_visible()
    citizen.step("waiting")
    page.get_by_role("button", name="Log ud").click()
    expect(page.get_by_role("status")).to_have_text("Du er logget ud.")


def _find_the_booking(staff: Visit, day: date) -> tuple[str, str]:
    """Open the course that booked the talk at 10:00 that day; return its reference and id."""
    page = staff.page
    # The slots page lists a week at a time, a heading per day: "mandag 03.03.2025".
    shown = f"{format_date(day, 'EEEE', locale='da')} {day:%d.%m.%Y}"
    _menu(page, "Tider")
    heading = page.get_by_role("heading", name=shown, exact=True)
    for _ in range(2):  # the day lies at most two weeks ahead
        if heading.count():
            break
        with page.expect_navigation():
            page.get_by_role("link", name="Næste uge").click()
    expect(heading).to_be_visible()
    table = page.locator("h3", has_text=shown).locator("xpath=following-sibling::table[1]")
    row = table.get_by_role("row", name=re.compile("^" + re.escape(f"{INTRO_AT:%H:%M}")))
    reference = row.get_by_role("link").inner_text()
    staff.step("slots-booked")
    row.get_by_role("link").click()
    _heading(page, f"Forløb {reference}")
    staff.step("course-requested")
    return reference, str(uuid.UUID(page.url.rsplit("/", 1)[-1]))


def _approve(staff: Visit) -> None:
    page = staff.page
    page.get_by_label("Godkendt til anonym behandling").check()
    page.get_by_role("button", name="Gem afgørelsen").click()


def _approve_after_the_talk(staff: Visit, served: Served, reference: str, course: str) -> None:
    """Approving is refused until the talk has been held; afterwards it is recorded."""
    page = staff.page
    _approve(staff)
    expect(page.locator("#decision-error")).to_have_text(
        "Den første samtale har ikke fundet sted endnu."
    )
    staff.step("decision-too-early")

    with served_database(served) as session:
        hold_intro(session, course, now=datetime.now(UTC))
    _menu(page, "Forløb")
    staff.step("courses")
    page.get_by_role("link", name=reference, exact=True).click()
    _heading(page, f"Forløb {reference}")
    _approve(staff)

    expect(page.get_by_role("status")).to_have_text("Afgørelsen er gemt.")
    expect(page.get_by_text("Status: Godkendt")).to_be_visible()
    staff.step("approved")


def _join_the_group(citizen: Visit, code: str) -> None:
    page = citizen.page
    page.goto(citizen.base + "/code")
    page.get_by_label("Din kode").fill(code)
    page.get_by_role("button", name="Fortsæt").click()
    expect(page.get_by_text("Godkendt til anonym behandling.")).to_be_visible()
    citizen.step("approved")
    page.get_by_role("button", name=f"Kom med i {GROUP}").click()
    expect(page.get_by_role("status")).to_have_text("Du har fået en plads i gruppen.")
    expect(page.get_by_text("I en behandlingsgruppe.")).to_be_visible()
    citizen.step("in-group")


def _mark_attendance(staff: Visit, served: Served, reference: str) -> None:
    """Tick the one member present at the first meeting, once it has begun."""
    page = staff.page
    _begin_first_meeting(served)
    _menu(page, "Grupper")
    page.get_by_role("link", name=GROUP, exact=True).click()
    _heading(page, GROUP)
    staff.step("group-with-member")
    page.get_by_role("link", name="Fremmøde til møde 1").click()
    _heading(page, f"Fremmøde, møde 1 i {GROUP}")
    staff.step("attendance")
    page.get_by_label(reference, exact=True).check()
    page.get_by_role("button", name="Gem fremmødet").click()
    expect(page.get_by_role("status")).to_have_text("Fremmødet er gemt: 1 af 1 var til stede.")
    staff.step("attendance-saved")


def _complete(staff: Visit, reference: str) -> None:
    page = staff.page
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_text("Status: I gruppe")).to_be_visible()
    staff.step("course-active")
    page.get_by_role("group", name="Forløbet slutter som").get_by_label("Gennemført").check()
    page.get_by_role("button", name="Afslut", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Forløbet er afsluttet.")
    expect(page.get_by_text("Status: Gennemført")).to_be_visible()
    staff.step("completed")


def test_a_course_from_planning_to_completion(
    staff_and_citizen: tuple[Visit, Visit], served: Served, setup_code: str
) -> None:
    """Plan, book, approve, join, mark attendance and complete, each page scanned by axe."""
    staff, citizen = staff_and_citizen
    today = local_today(datetime.now(UTC))
    # The world's intro talks at centre A lie in the next four days; these come after them.
    intro_day = _first_workday(today + timedelta(days=5))
    _sign_in_first_time(staff, setup_code)
    _create_group(staff, today + timedelta(days=14))
    _add_a_week_of_intro_talks(staff, today + timedelta(days=5))

    code = _book_intro(citizen, intro_day)
    _keep_the_code_and_sign_out(citizen)
    reference, course = _find_the_booking(staff, intro_day)
    _approve_after_the_talk(staff, served, reference, course)
    _join_the_group(citizen, code)
    _mark_attendance(staff, served, reference)
    _complete(staff, reference)
    citizen.page.reload()

    expect(citizen.page.get_by_text("Gennemført.")).to_be_visible()
    citizen.step("completed")
    assert code not in staff.page.content()
    sent = staff.requests + citizen.requests
    assert [url for url in sent if code.replace("-", "") in url.upper().replace("-", "")] == []
    assert staff.foreign_requests() == citizen.foreign_requests() == []


def _book_for_a_caller(staff: Visit) -> str:
    """Book the first free intro talk for a caller from København; return the code shown."""
    page = staff.page
    _menu(page, "Book for en borger")
    staff.step("phone-booking")
    page.get_by_label("Borgerens bopælskommune").select_option("101")
    page.get_by_role("button", name="Vis ledige tider").click()
    times = page.get_by_role("group", name="Tid til første samtale")
    expect(times.get_by_role("radio").first).to_be_visible()
    staff.step("phone-times")
    times.get_by_role("radio").first.check()
    page.get_by_label("Borgeren har bekræftet at være 18 år eller derover").check()
    staff.step("phone-filled")
    page.get_by_role("button", name="Book og vis koden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kode til forløb")
    expect(page.get_by_text("Den vises kun denne ene gang.")).to_be_visible()
    staff.step("phone-code")
    code = "-".join(page.locator(".code .group").all_inner_texts())
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code)
    return code


def _meet_a_staff_error_page(staff: Visit) -> None:
    """A course that does not exist: the staff's own 404 page, with the menu, and a way back."""
    page = staff.page
    page.goto(f"{staff.base}/staff/courses/{uuid.uuid4()}")
    _heading(page, "Siden findes ikke")
    menu = page.get_by_role("navigation", name="Personale")
    expect(menu.get_by_role("link", name="Book for en borger", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=f"Log ud ({EMPLOYEE})")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_count(0)
    staff.step("error-not-found")
    page.get_by_role("link", name="Tilbage til personalets forside").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("I dag")
    staff.step("error-back-home")


def test_a_centre_employee_books_for_a_caller_and_stays_in_the_workspace_on_an_error(
    browser: Visit, served: Served
) -> None:
    """Book for a caller from the menu, see the code once; a missing course keeps the menu."""
    _sign_in_first_time(browser, _create_account(served, EMPLOYEE, Role.STAFF), EMPLOYEE)

    code = _book_for_a_caller(browser)
    _menu(browser.page, "Forløb")
    browser.step("courses-after-phone-booking")

    assert code not in browser.page.content()
    assert [url for url in browser.requests if code.replace("-", "") in url.upper()] == []
    _meet_a_staff_error_page(browser)
    assert browser.foreign_requests() == []
