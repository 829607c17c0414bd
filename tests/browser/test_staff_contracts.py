"""An administrator creates a centre, a coordinator contracts it, a citizen books it.

Then the coordinator ends København's last contract with a provider outside
the municipality and is warned (§ 101 a, stk. 2) before it is saved. Staff
and citizen each have a browser of their own. The new centre's intro times
are written into the database between the steps, as a centre's staff would
add them on their own pages (tests/browser/test_staff.py walks that).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

import crypto
from service.core.clock import local_today
from service.identity import accounts
from service.models import Centre, Role, SlotKind
from tests.browser.conftest import Served, Visit
from tests.browser.staff_steps import served_database, sign_in_first_time
from tests.support.world import HOME, add_slot

CENTRE = "Center Nord"


@pytest.fixture
def served_settings() -> dict[str, str]:
    """Sign in with a password alone; two-factor sign-in has its own tests."""
    return {"DISKRET_STAFF_TOTP_ROLES": ""}


def _account(served: Served, username: str, role: Role, municipality: str | None) -> str:
    with served_database(served) as session:
        made = accounts.create(
            session,
            username=username,
            role=role,
            municipality_code=municipality,
            created_by=None,
            profile=crypto.STAFF_PROFILE,
            now=datetime.now(UTC),
        )
        session.commit()
    return made.setup_code


def _add_intro_times(served: Served) -> None:
    """Give the new centre two intro times tomorrow, as its staff would."""
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with served_database(served) as session:
        centre = session.scalars(select(Centre).where(Centre.name == CENTRE)).one()
        for hours in (0, 1):
            add_slot(session, centre, SlotKind.INTRO, tomorrow + timedelta(hours=hours))
        session.commit()


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Personale").get_by_role("link", name=name).click()


def _create_centre(staff: Visit) -> None:
    page = staff.page
    _menu(page, "Steder")
    _heading(page, "Steder")
    staff.step("centres")
    page.get_by_label("Navn", exact=True).fill(CENTRE)
    page.get_by_label("Kommune", exact=True).select_option(HOME)
    page.get_by_label("Adresse").fill("Nordvej 3, 2200 København N")
    page.get_by_label("Sådan finder man den diskrete indgang").fill("Gården, dør C.")
    page.get_by_label("Indgangen på engelsk").fill("The yard, door C.")
    page.get_by_label("Sprog").fill("da en")
    page.get_by_role("button", name="Opret stedet").click()
    expect(page.get_by_role("status")).to_contain_text(f"Stedet {CENTRE} er oprettet.")
    staff.step("centre-created")
    page.get_by_role("button", name=re.compile("^Log ud")).click()


def _contract_centre(staff: Visit) -> None:
    page = staff.page
    _menu(page, "Kontrakter")
    _heading(page, "Kontrakter for København (101)")
    staff.step("contracts")
    page.get_by_label("Sted", exact=True).select_option(label=f"{CENTRE} (i kommunen)")
    page.get_by_label("Gælder fra").fill(local_today(datetime.now(UTC)).isoformat())
    page.get_by_role("button", name="Opret kontrakten").click()
    expect(page.get_by_role("status")).to_contain_text(f"Kontrakten med {CENTRE} gælder fra")
    staff.step("contracted")


def _book_new_centre(citizen: Visit) -> None:
    page = citizen.page
    page.goto(citizen.base + "/")
    page.get_by_role("link", name="Book en første samtale").click()
    page.get_by_label("bopælskommune").select_option(HOME)
    page.get_by_role("button", name="Vis steder").click()
    expect(page.get_by_role("heading", name=CENTRE)).to_be_visible()
    citizen.step("places")
    page.get_by_role("link", name=f"Vælg {CENTRE}").click()
    _heading(page, "Vælg en tid")
    citizen.step("time")
    page.get_by_role("radio").first.check()
    page.get_by_label("Jeg er 18 år eller derover").check()
    page.get_by_role("button", name="Book og få min kode").click()
    expect(page.locator(".code .group")).to_have_count(5)
    expect(page.get_by_text(CENTRE)).to_be_visible()
    citizen.step("code")


def _end_last_outside_contract(staff: Visit) -> None:
    page = staff.page
    chooser = page.get_by_label("Kontrakt", exact=True)
    outside = chooser.locator("option", has_text="Centre B").get_attribute("value")
    assert outside is not None
    chooser.select_option(outside)
    page.get_by_label("Ophører fra").fill(local_today(datetime.now(UTC)).isoformat())
    page.get_by_role("button", name="Afslut kontrakten").click()
    _heading(page, "Bekræft ændringen")
    expect(page.get_by_role("alert")).to_contain_text(
        "København (101): 2 leverandører, heraf 0 uden for kommunen"
    )
    staff.step("warning")
    page.get_by_role("button", name="Gem ændringen alligevel").click()
    expect(page.get_by_role("status")).to_contain_text("Kontrakten med Centre B ophører fra")
    expect(page.locator("#shortfall")).to_contain_text("opfylder ikke serviceloven § 101 a, stk. 2")
    staff.step("ended")


def test_a_new_centre_is_contracted_booked_and_the_last_outside_contract_warns(
    served: Served, staff_and_citizen: tuple[Visit, Visit]
) -> None:
    """Administrator, coordinator and citizen each do their part in a real browser."""
    staff, citizen = staff_and_citizen
    admin_code = _account(served, "admin.test", Role.ADMIN, None)
    coordinator_code = _account(served, "kommune.test", Role.COORDINATOR, HOME)

    sign_in_first_time(staff, "admin.test", admin_code, step="admin-signed-in")
    _create_centre(staff)
    _add_intro_times(served)
    sign_in_first_time(staff, "kommune.test", coordinator_code, step="coordinator-signed-in")
    _contract_centre(staff)
    _book_new_centre(citizen)
    _end_last_outside_contract(staff)

    assert staff.foreign_requests() == citizen.foreign_requests() == []
