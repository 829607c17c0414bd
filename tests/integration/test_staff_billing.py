"""The billing pages ("Afregning"): last month's bill as page and CSV, for each role."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.core.clock import last_month_over
from service.models import Booking, BookingKind, BookingStatus, Centre, Course, CourseStatus, Slot
from service.stats.billing import bounds
from tests.support.billing import add_course, add_intro, attend, place
from tests.support.calls import start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import HOME, NEIGHBOUR, World, add_group

CPR_LIKE = re.compile(r"\b\d{6}-?\d{4}\b")
TOKEN_LIKE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


@dataclass
class Month:
    """Last month's made-up activity: the month and the references at each centre."""

    month: str
    centre_a: list[str]
    centre_b: list[str]
    token: str


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@pytest.fixture
def last_month(client: FlaskClient, session: Session, world: World, now: datetime) -> Month:
    """Hold intro talks, a group and a completion last month at centres A and B.

    Centre A: six intros of København's citizens and two of Frederiksberg's,
    one of them booked through the API (its code must show nowhere), and one
    København course that met twice and completed. Centre B: one intro of a
    Frederiksberg citizen.
    """
    month = last_month_over(now)
    begins, _ = bounds(month)
    token, booked = start_course(client, world, home=NEIGHBOUR)
    intro_id = session.scalar(
        update(Booking)
        .where(Booking.course_id == uuid.UUID(booked["id"]), Booking.kind == BookingKind.INTRO)
        .values(status=BookingStatus.ATTENDED)
        .returning(Booking.slot_id)
    )
    session.execute(
        update(Slot).where(Slot.id == intro_id).values(starts_at=begins + timedelta(hours=9))
    )
    at = begins + timedelta(days=9, hours=8)
    courses = [add_course(session, world.centre_a, status=CourseStatus.APPROVED) for _ in range(6)]
    courses.append(add_course(session, world.centre_a, home=NEIGHBOUR))
    for n, course in enumerate(courses):
        add_intro(session, course, at + timedelta(hours=n))
    centre = session.get_one(Centre, world.centre_a)
    group = add_group(
        session, centre, first=begins + timedelta(days=2, hours=16), capacity=8, sessions=2
    )
    member = add_course(session, world.centre_a, status=CourseStatus.COMPLETED)
    member.ended_at = begins + timedelta(days=19, hours=12)
    attend(session, place(session, member, group, begins + timedelta(hours=9)), group, [True, True])
    other = add_course(session, world.centre_b, home=NEIGHBOUR, status=CourseStatus.APPROVED)
    add_intro(session, other, at)
    reference_of_booked = session.get_one(Course, uuid.UUID(booked["id"])).reference
    # Committed last: on SQLite a transaction, even one that only reads, holds the write lock.
    session.commit()
    return Month(
        month,
        [*(c.reference for c in [*courses, member]), reference_of_booked],
        [other.reference],
        token,
    )


def _rows(answer: Page) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.html)))


def _nothing_identifying(*texts: str, token: str) -> None:
    for text in texts:
        assert token not in text
        assert token.replace("-", "") not in text
        assert not CPR_LIKE.search(text)
        assert not TOKEN_LIKE.search(text)


def test_a_centre_admin_sees_last_months_courses_by_reference_and_downloads_them(
    client: FlaskClient, staff: Staff, last_month: Month
) -> None:
    """The page opens on last month; its CSV link gives one line per course of the centre."""
    sign_in(client, staff["admin_a"])
    browser = Citizen(client)

    answer = browser.get("/staff/billing")
    [link] = answer.links("/staff/billing.csv")
    download = browser.get(link)

    assert answer.status == 200
    assert f'<option selected value="{last_month.month}">' in answer.html
    for reference in last_month.centre_a:
        assert f'data-reference="{reference}"' in answer.html
    assert last_month.centre_b[0] not in answer.html
    assert "København (101)" in answer.text()
    assert "Frederiksberg (147)" in answer.text()
    assert download.status == 200
    assert download.response.mimetype == "text/csv"
    assert download.response.headers["Content-Disposition"] == (
        f'attachment; filename="afregning-{last_month.month}.csv"'
    )
    rows = _rows(download)
    assert rows[0] == [
        "month",
        "centre",
        "home_municipality",
        "home_municipality_name",
        "reference",
        "started",
        "running",
        "completed",
        "meetings",
    ]
    assert sorted(row[4] for row in rows[1:]) == sorted(last_month.centre_a)
    member = next(row for row in rows[1:] if row[4] == last_month.centre_a[7])
    assert member == [
        last_month.month,
        "Centre A",
        HOME,
        "København",
        member[4],
        "0",
        "1",
        "1",
        "2",
    ]
    _nothing_identifying(answer.html, download.html, token=last_month.token)


def test_a_coordinator_sees_counts_and_never_a_reference(
    client: FlaskClient, staff: Staff, last_month: Month
) -> None:
    """København's coordinator sees counts per centre, with the total; no reference anywhere."""
    sign_in(client, staff["coordinator"])
    browser = Citizen(client)

    answer = browser.get("/staff/billing")
    download = browser.get(answer.links("/staff/billing.csv")[0])

    assert answer.status == download.status == 200
    for reference in [*last_month.centre_a, *last_month.centre_b]:
        assert reference not in answer.html
        assert reference not in download.html
    assert "Borgere fra København (101)" in answer.text()
    rows = _rows(download)
    assert download.response.headers["Content-Disposition"] == (
        f'attachment; filename="afregning-{last_month.month}-{HOME}.csv"'
    )
    centre_a = next(row for row in rows if row[4] == "Centre A")
    # Six intros held, one running course that completed and met twice: "<5" where small.
    assert centre_a[5:] == ["6", "<5", "<5", "<5"]
    assert rows[-1][3:5] == ["*", "I alt"]
    _nothing_identifying(answer.html, download.html, token=last_month.token)


def test_small_counts_are_suppressed_for_the_municipality(
    client: FlaskClient, staff: Staff, last_month: Month
) -> None:
    """Frederiksberg's two intros at centre A show as "<5"; its total gives them not away."""
    sign_in(client, staff["coordinator_b"])

    answer = Citizen(client).get("/staff/billing")

    cells = re.search(r'data-centre="[^"]+"><th scope="row">Centre A</th>(.*?)</tr>', answer.html)
    assert cells, "no row for centre A"
    assert re.findall(r"<td>(.*?)</td>", cells.group(1))[0] == "&lt;5"
    assert ">2<" not in answer.html


def test_a_coordinator_cannot_ask_for_another_municipality(
    client: FlaskClient, staff: Staff, last_month: Month
) -> None:
    """Frederiksberg's counts answer København's coordinator 404, page and CSV alike."""
    sign_in(client, staff["coordinator"])
    browser = Citizen(client)

    page = browser.get(f"/staff/billing?municipality={NEIGHBOUR}")
    download = browser.get(f"/staff/billing.csv?municipality={NEIGHBOUR}")

    assert page.status == download.status == 404


def test_an_administrator_chooses_a_municipality(
    client: FlaskClient, staff: Staff, last_month: Month
) -> None:
    """The chooser's municipality is the one shown; an unknown code answers 404."""
    sign_in(client, staff["admin"])
    browser = Citizen(client)

    chosen = browser.get(f"/staff/billing?month={last_month.month}&municipality={NEIGHBOUR}")
    unknown = browser.get("/staff/billing?municipality=999")

    assert chosen.status == 200
    assert "Borgere fra Frederiksberg (147)" in chosen.text()
    assert f'<option selected value="{NEIGHBOUR}">' in chosen.html
    assert unknown.status == 404


@pytest.mark.parametrize("month", ["2099-01", "2000-01", "last", "2026-13"])
def test_a_month_not_offered_is_refused_next_to_its_field(
    client: FlaskClient, staff: Staff, last_month: Month, month: str
) -> None:
    """A month outside the chooser answers 422 with the reason by the field, page and CSV."""
    sign_in(client, staff["admin_a"])
    browser = Citizen(client)

    answer = browser.get(f"/staff/billing?month={month}")
    download = browser.get(f"/staff/billing.csv?month={month}")

    assert answer.status == download.status == 422
    assert "Vælg en af de måneder, listen viser." in answer.text()
    assert 'class="field-error"' in answer.html
    assert "<table" not in answer.html


def test_a_centre_name_that_looks_like_a_formula_is_neutralised(
    client: FlaskClient, session: Session, world: World, staff: Staff, last_month: Month
) -> None:
    """A cell that starts with = + - or @ gets a leading apostrophe in both CSV files."""
    session.execute(update(Centre).where(Centre.id == world.centre_a).values(name="=HYPERLINK(1)"))
    session.execute(update(Centre).where(Centre.id == world.centre_b).values(name="@SUM(1)"))
    session.commit()
    sign_in(client, staff["admin_a"])
    lines = _rows(Citizen(client).get(f"/staff/billing.csv?month={last_month.month}"))
    sign_in(client, staff["coordinator"])
    coordinator = _rows(Citizen(client).get(f"/staff/billing.csv?month={last_month.month}"))

    assert {row[1] for row in lines[1:]} == {"'=HYPERLINK(1)"}
    names = {row[4] for row in coordinator[1:]}
    assert {"'=HYPERLINK(1)", "'@SUM(1)"} <= names
    assert not any(
        cell.startswith(("=", "+", "-", "@")) for row in lines + coordinator for cell in row
    )
