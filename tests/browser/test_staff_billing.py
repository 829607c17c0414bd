"""A centre admin downloads last month's bill, and the coordinator of København reads its counts.

Last month's activity is written into the served database before the
browser opens (intro talks, a group that met, a completion); everything the
two people do happens through the pages.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import crypto
from service.core.clock import last_month_over
from service.identity import accounts
from service.models import Centre, CourseStatus, Role
from service.staff.billing import month_name
from service.stats.billing import bounds
from tests.browser.conftest import Served, Visit
from tests.browser.staff_steps import served_database, sign_in_first_time
from tests.support.billing import add_course, add_intro, attend, place
from tests.support.world import HOME, add_group

CENTRE_ADMIN = "leder.a"
COORDINATOR = "koordinator.kbh"


@pytest.fixture
def served_settings() -> dict[str, str]:
    """Sign in with a password alone: two-factor sign-in has tests of its own."""
    return {"DISKRET_STAFF_TOTP_ROLES": ""}


@pytest.fixture
def last_month(served: Served) -> tuple[str, list[str], dict[str, str]]:
    """Write last month's activity at centre A and two accounts; return month, references, codes.

    Six København citizens had their intro talk, and one more met twice in
    a group and completed.
    """
    month = last_month_over(datetime.now(UTC))
    begins, _ = bounds(month)
    with served_database(served) as session:
        centre = session.get_one(Centre, served.world.centre_a)
        courses = [add_course(session, centre.id, status=CourseStatus.APPROVED) for _ in range(6)]
        for n, course in enumerate(courses):
            add_intro(session, course, begins + timedelta(days=9, hours=8 + n))
        group = add_group(session, centre, first=begins + timedelta(days=2, hours=16), capacity=8)
        member = add_course(session, centre.id, status=CourseStatus.COMPLETED)
        member.ended_at = begins + timedelta(days=19, hours=12)
        booking = place(session, member, group, begins + timedelta(hours=9))
        attend(session, booking, group, [True, True])
        codes = {
            username: accounts.create(
                session,
                username=username,
                role=role,
                centre_id=centre.id if role is Role.CENTRE_ADMIN else None,
                municipality_code=HOME if role is Role.COORDINATOR else None,
                created_by=None,
                profile=crypto.STAFF_PROFILE,
                now=datetime.now(UTC),
            ).setup_code
            for username, role in (
                (CENTRE_ADMIN, Role.CENTRE_ADMIN),
                (COORDINATOR, Role.COORDINATOR),
            )
        }
        references = [course.reference for course in [*courses, member]]
        session.commit()
    return month, references, codes


def _open_billing(page: Page) -> None:
    page.get_by_role("navigation", name="Personale").get_by_role("link", name="Afregning").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Afregning for")


def _pick(page: Page, month: str) -> None:
    page.get_by_label("Måned").select_option(label=month_name(month))
    page.get_by_role("button", name="Vis afregningen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Afregning for {month_name(month)}")


def test_a_centre_admin_downloads_last_months_bill_and_a_coordinator_reads_counts(
    browser: Visit, last_month: tuple[str, list[str], dict[str, str]], tmp_path: Path
) -> None:
    """The centre admin's CSV lists last month's references; the coordinator sees only counts."""
    month, references, codes = last_month
    page = browser.page

    sign_in_first_time(browser, CENTRE_ADMIN, codes[CENTRE_ADMIN], step="centre-admin-signed-in")
    _open_billing(page)
    browser.step("billing-opened")
    _pick(page, month)
    browser.step("last-month")
    for reference in references:
        expect(page.get_by_role("row", name=re.compile(f"^{reference} "))).to_be_visible()
    with page.expect_download() as started:
        page.get_by_role("link", name="Hent afregningen som CSV").click()
    download = started.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    browser.step("csv-downloaded")
    page.get_by_role("button", name=re.compile("^Log ud")).click()

    sign_in_first_time(browser, COORDINATOR, codes[COORDINATOR], step="coordinator-signed-in")
    _open_billing(page)
    _pick(page, month)
    browser.step("coordinator-counts")

    assert download.suggested_filename == f"afregning-{month}.csv"
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert sorted(row[4] for row in rows[1:]) == sorted(references)
    counts = page.get_by_role("row", name=re.compile("^Centre A "))
    expect(counts.get_by_role("cell").first).to_have_text("6")
    for reference in references:
        expect(page.get_by_text(reference)).to_have_count(0)
