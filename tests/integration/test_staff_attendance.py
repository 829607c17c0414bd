"""Attendance on the staff pages: "Alle mødt", no-shows, never came, and a member's history.

Every form is sent from the page that shows it (``Citizen.submit``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.models import (
    Attendance,
    Booking,
    BookingKind,
    Course,
    CourseStatus,
    Group,
    Slot,
    Tally,
)
from tests.support.calls import approved_course, bearer, hold_intro, start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _join(client: FlaskClient, token: str, group: uuid.UUID) -> None:
    response = client.post(
        "/api/v1/me/bookings", json={"group_id": str(group)}, headers=bearer(token)
    )
    assert response.status_code == 201, response.get_json()


def _members(
    client: FlaskClient, session: Session, world: World, now: datetime
) -> list[dict[str, Any]]:
    """Put two approved courses in group A and begin its first meeting after they joined."""
    members = []
    for slot in world.intro_a[:2]:
        token, course = approved_course(client, world, session, now=now, slot=slot)
        _join(client, token, world.group_a)
        members.append(course)
    group = session.get_one(Group, world.group_a)
    first = group.sessions[0]
    first.starts_at, first.ends_at = now - timedelta(hours=1), now + timedelta(hours=1)
    session.execute(
        update(Booking)
        .where(Booking.group_id == group.id)
        .values(placed_at=now - timedelta(days=1))
    )
    session.commit()
    return members


def _marks(session: Session) -> dict[str, bool]:
    session.expire_all()
    rows = session.execute(
        select(Booking.course_id, Attendance.present).join(
            Booking, Booking.id == Attendance.booking_id
        )
    ).all()
    session.commit()  # end the read: on SQLite it would hold the app's next write
    return {str(course_id): present for course_id, present in rows}


def _meeting_path(session: Session, world: World, number: int) -> str:
    group = session.get_one(Group, world.group_a)
    meeting = group.sessions[number - 1]
    session.commit()  # end the read: on SQLite it would hold the app's writes
    return f"/staff/groups/{world.group_a}/sessions/{meeting.id}/attendance"


def test_all_attended_ticks_everyone_and_one_can_then_be_marked_absent(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """All attended stores and ticks both; saving one unticked then makes that one absent."""
    members = _members(client, session, world, now)
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), _meeting_path(session, world, 1)

    all_in = browser.submit(browser.get(path), path + "/all", {})
    ticked = browser.get(path)
    after_all = _marks(session)
    saved = browser.submit(ticked, path, {"present": [members[0]["id"]]})

    assert all_in.status == 303
    assert all_in.response.headers["Location"] == path
    assert after_all == {members[0]["id"]: True, members[1]["id"]: True}
    assert "Alle 2 er registreret som mødt" in ticked.text()
    assert all(_checked(ticked, m["id"]) for m in members)
    assert saved.status == 303
    assert _marks(session) == {members[0]["id"]: True, members[1]["id"]: False}


def _checked(page: Page, value: str) -> bool:
    tag = next(t for t in page.html.split("<input")[1:] if f'value="{value}"' in t.split(">")[0])
    return "checked" in tag.split(">")[0]


def test_a_member_who_joined_after_the_meeting_is_not_on_its_page_nor_marked(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """The late joiner is absent from the first meeting's list, and "Alle mødt" skips them."""
    members = _members(client, session, world, now)
    session.execute(
        update(Booking)
        .where(Booking.course_id == uuid.UUID(members[1]["id"]), Booking.kind == BookingKind.GROUP)
        .values(placed_at=now - timedelta(minutes=30))
    )
    session.commit()
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), _meeting_path(session, world, 1)

    page = browser.get(path)
    browser.submit(page, path + "/all", {})

    assert members[0]["reference"] in page.text()
    assert members[1]["reference"] not in page.text()
    assert _marks(session) == {members[0]["id"]: True}


def test_a_tampered_mark_for_a_late_joiner_is_refused_with_nothing_stored(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """A form naming a course not on the meeting's list is answered 422 and stores no absence."""
    members = _members(client, session, world, now)
    session.execute(
        update(Booking)
        .where(Booking.course_id == uuid.UUID(members[1]["id"]), Booking.kind == BookingKind.GROUP)
        .values(placed_at=now - timedelta(minutes=30))
    )
    session.commit()
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), _meeting_path(session, world, 1)

    answer = browser.submit(browser.get(path), path, {"present": [m["id"] for m in members]})

    assert answer.status == 422
    assert _marks(session) == {}


def test_the_api_refuses_a_mark_for_a_member_who_joined_after_the_session(
    client: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """PUT attendance naming the late joiner answers 422; nothing is stored for anyone."""
    members = _members(client, session, world, now)
    session.execute(
        update(Booking)
        .where(Booking.course_id == uuid.UUID(members[1]["id"]), Booking.kind == BookingKind.GROUP)
        .values(placed_at=now - timedelta(minutes=30))
    )
    session.commit()
    group = session.get_one(Group, world.group_a)
    session.commit()

    response = client.put(
        f"/api/v1/groups/{world.group_a}/sessions/{group.sessions[0].id}/attendance",
        json={"marks": [{"course_id": m["id"], "present": False} for m in members]},
        headers=bearer(world.manage_a),
    )

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"course_id": ["Not a member of this group."]}
    assert _marks(session) == {}


def test_a_missed_intro_is_recorded_and_the_course_closed_as_never_came(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """From the course page: "Udeblev fra første samtale", then "Afslut som udeblevet"."""
    _, course = start_course(client, world)
    hold_intro(session, course["id"], now=now)
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), f"/staff/courses/{course['id']}"

    before = browser.get(path)
    missed = browser.submit(before, path + "/no-show", {})
    offered = browser.get(path)
    closed = browser.submit(offered, path + "/never-came", {})
    after = browser.get(path)

    assert "Udeblev fra første samtale" in before.text()
    assert "Afslut som udeblevet" not in before.text()
    assert missed.status == 303
    assert "Afslut som udeblevet fra første samtale" in offered.text()
    assert closed.status == 303
    assert "Status: Udeblev fra første samtale" in after.text()
    session.expire_all()
    assert session.get_one(Course, uuid.UUID(course["id"])).status is CourseStatus.NEVER_CAME
    tallied = dict(session.execute(select(Tally.metric, Tally.count)).all())
    assert tallied.get("never_came") == 1
    assert "cancelled" not in tallied


def test_a_missed_closing_talk_is_recorded_from_the_course_page(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """ "Udeblev fra afsluttende samtale" once it has begun; the course stays in its group."""
    token, course = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    _join(client, token, world.group_a)
    booked = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_late_a)}, headers=bearer(token)
    )
    assert booked.status_code == 201, booked.get_json()
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), f"/staff/courses/{course['id']}"
    ahead = browser.get(path)
    session.execute(
        update(Slot)
        .where(Slot.id == world.closing_late_a)
        .values(starts_at=now - timedelta(minutes=20), ends_at=now + timedelta(minutes=25))
    )
    session.commit()

    begun = browser.get(path)
    missed = browser.submit(begun, path + "/no-show", {})
    after = browser.get(path)

    assert "Udeblev fra afsluttende samtale" not in ahead.text()
    assert "Udeblev fra afsluttende samtale" in begun.text()
    assert missed.status == 303
    assert "Udeblivelse fra afsluttende samtale er registreret." in after.text()
    assert "Udeblev fra afsluttende samtale" not in after.text()
    session.expire_all()
    closing = session.scalars(
        select(Booking).where(
            Booking.course_id == uuid.UUID(course["id"]), Booking.kind == BookingKind.CLOSING
        )
    ).one()
    assert closing.status.value == "no_show"
    assert session.get_one(Course, uuid.UUID(course["id"])).status is CourseStatus.ACTIVE


def test_a_no_show_form_with_a_value_it_never_offers_is_refused_with_a_message(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """Only an intro or closing talk can be missed: anything else is a 422 that changes nothing."""
    _, course = start_course(client, world)
    hold_intro(session, course["id"], now=now)
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), f"/staff/courses/{course['id']}"

    answer = browser.submit(browser.get(path), path + "/no-show", {"talk": "group"})

    assert answer.status == 422
    assert "Vælg en samtale." in answer.text()
    intro = session.scalars(
        select(Booking.status).where(Booking.course_id == uuid.UUID(course["id"]))
    ).one()
    assert intro.value == "booked"


def test_the_course_page_shows_each_meeting_of_the_members_group(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """Meeting 1 attended, meetings 2-4 to come, each with its date, on the course page."""
    members = _members(client, session, world, now)
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), _meeting_path(session, world, 1)
    browser.submit(browser.get(path), path + "/all", {})

    page = browser.get(f"/staff/courses/{members[0]['id']}")

    assert page.status == 200
    rows = page.html.split('class="attendance-history"', 1)[1].split("</table>", 1)[0]
    assert rows.count('data-presence="attended"') == 1
    assert rows.count('data-presence="coming"') == 3
    assert "Mødt" in page.text()
    assert "Kommende møde" in page.text()


def test_the_api_closes_a_course_as_never_came_after_a_recorded_no_show(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """POST outcome never_came is refused (409) before the no-show and accepted after it."""
    _, course = start_course(client, world)
    hold_intro(session, course["id"], now=now)
    url = f"/api/v1/courses/{course['id']}/outcome"

    early = client.post(url, json={"outcome": "never_came"}, headers=bearer(world.manage_a))
    sign_in(client, staff["staff_a"])
    browser, path = Citizen(client), f"/staff/courses/{course['id']}"
    browser.submit(browser.get(path), path + "/no-show", {})
    closed = client.post(url, json={"outcome": "never_came"}, headers=bearer(world.manage_a))

    assert early.status_code == 409
    assert early.get_json()["code"] == "no_show_not_recorded"
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "never_came"
