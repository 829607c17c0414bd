"""The staff's planning pages: slots, weekly patterns, groups, capacity, moves and attendance.

Each feature is driven through the pages as a browser without JavaScript
would; the rule that moves a session is also called directly, as the other
schedule rules are in the API's tests.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.booking import schedule
from service.core import errors
from service.core.clock import local_to_utc, local_today
from service.identity.accounts import actor_of
from service.identity.actors import Actor
from service.models import (
    Attendance,
    AuditEvent,
    Booking,
    BookingStatus,
    Group,
    GroupSession,
    Slot,
)
from tests.support.calls import approved_course, bearer, start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import Staff, forge, group_form, make_staff, sign_in, submit
from tests.support.world import World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@pytest.fixture
def signed_in(client: FlaskClient, staff: Staff) -> FlaskClient:
    """Return a client signed in as staff of centre A."""
    sign_in(client, staff["staff_a"])
    return client


def _day(now: datetime, days: int) -> date:
    return local_today(now) + timedelta(days=days)


def _slots_at(session: Session, world: World, starts_at: datetime) -> int:
    session.expire_all()
    found = session.scalar(
        select(func.count(Slot.id)).where(
            Slot.centre_id == world.centre_a, Slot.starts_at == starts_at
        )
    )
    return found or 0


def _groups_named(session: Session, name: str) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Group.id)).where(Group.name == name)) or 0


def _join(client: FlaskClient, token: str, group: uuid.UUID) -> str:
    response = client.post(
        "/api/v1/me/bookings", json={"group_id": str(group)}, headers=bearer(token)
    )
    assert response.status_code == 201, response.get_json()
    status: str = response.get_json()["status"]
    return status


def _begin_first_session(session: Session, world: World, now: datetime) -> GroupSession:
    group = session.get_one(Group, world.group_a)
    first = group.sessions[0]
    first.starts_at, first.ends_at = now - timedelta(hours=1), now + timedelta(hours=1)
    # Its members are on its list: their places were granted before it began.
    session.execute(
        update(Booking)
        .where(Booking.group_id == group.id, Booking.placed_at.is_not(None))
        .values(placed_at=now - timedelta(days=1))
    )
    session.commit()
    return first


# Individual slots


def test_one_slot_is_added_at_copenhagen_time_and_listed(
    signed_in: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """A slot typed as 10:00 on a date is stored as that Copenhagen time and listed as free."""
    day = _day(now, 10)
    form = {"day": day.isoformat(), "start": "10:00", "minutes": "45", "kind": "intro"}

    answer = submit(signed_in, "/staff/slots", "/staff/slots", form)

    assert answer.status == 303
    assert _slots_at(session, world, local_to_utc(day, time(10))) == 1
    listing = Citizen(signed_in).get(answer.response.headers["Location"]).text()
    assert "10:00\N{EN DASH}10:45" in listing.split(f"{day:%d.%m.%Y}", 1)[1]
    assert "er tilføjet" in listing


def test_the_same_slot_twice_is_refused_and_not_doubled(
    signed_in: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """A second slot of the same kind at the same time is refused with a message."""
    day = _day(now, 10)
    form = {"day": day.isoformat(), "start": "10:00", "minutes": "45", "kind": "intro"}
    submit(signed_in, "/staff/slots", "/staff/slots", form)

    again = submit(signed_in, "/staff/slots", "/staff/slots", form)

    assert again.status == 409
    assert "allerede en tid af den slags" in again.text()
    assert _slots_at(session, world, local_to_utc(day, time(10))) == 1


def test_a_weekly_pattern_skips_a_time_the_centre_already_has(
    signed_in: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """Three weeks on one weekday add two slots when the first of the three already exists."""
    first = _day(now, 10)
    single = {"day": first.isoformat(), "start": "10:00", "minutes": "45", "kind": "intro"}
    submit(signed_in, "/staff/slots", "/staff/slots", single)
    pattern = {
        "first_day": first.isoformat(),
        "weekdays": [str(first.weekday())],
        "start": "10:00",
        "minutes": "45",
        "weeks": "3",
        "kind": "intro",
        # Whatever today's date, no week of the three is skipped for a holiday.
        "include_holidays": "y",
    }

    answer = submit(signed_in, "/staff/slots/pattern", "/staff/slots/pattern", pattern)

    assert answer.status == 303
    days = [first + timedelta(weeks=n) for n in range(3)]
    assert [_slots_at(session, world, local_to_utc(d, time(10))) for d in days] == [1, 1, 1]
    shown = Citizen(signed_in).get("/staff/slots").text()
    assert "2 tider er tilføjet. 1 tid fandtes allerede og blev sprunget over." in shown


def test_a_free_slot_is_removed(signed_in: FlaskClient, session: Session, world: World) -> None:
    """Removing a slot nobody booked deletes it and records who did it."""
    slot = str(world.intro_a[3])

    answer = submit(signed_in, "/staff/slots", f"/staff/slots/{slot}/remove")

    assert answer.status == 303
    session.expire_all()
    assert session.get(Slot, world.intro_a[3]) is None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "slot.removed"))


def test_a_held_slot_is_not_removed(
    client: FlaskClient, staff: Staff, session: Session, world: World
) -> None:
    """A slot booked after the page was opened stays when removed from it, and the page says why."""
    sign_in(client, staff["staff_a"])
    browser = Citizen(client)
    shown = browser.get("/staff/slots")
    _, course = start_course(client, world, slot=world.intro_a[0])

    answer = browser.submit(shown, f"/staff/slots/{world.intro_a[0]}/remove", {})

    assert answer.status == 409
    assert "Tiden er booket og kan ikke fjernes" in answer.text()
    assert course["reference"] in answer.text()
    session.expire_all()
    assert session.get(Slot, world.intro_a[0]) is not None


def test_a_slot_of_another_centre_is_not_found(
    client: FlaskClient, staff: Staff, session: Session, world: World
) -> None:
    """Centre B's staff get 404 for centre A's slot, and the slot stays."""
    sign_in(client, staff["staff_b"])

    answer = forge(client, f"/staff/slots/{world.intro_a[3]}/remove")

    assert answer.status == 404
    session.expire_all()
    assert session.get(Slot, world.intro_a[3]) is not None


# Groups


def test_a_group_is_created_with_weekly_sessions(
    signed_in: FlaskClient, session: Session, now: datetime
) -> None:
    """A new group gets its eight weekly sessions at 17:00 Copenhagen time and is listed."""
    form = group_form(now, include_holidays="y")  # eight whatever the date

    answer = submit(signed_in, "/staff/groups", "/staff/groups", form)

    assert answer.status == 303
    group = session.scalars(select(Group).where(Group.name == "Onsdagsgruppen")).one()
    assert (group.capacity, group.intake_open, group.late_join_until) == (6, True, 3)
    assert len(group.sessions) == 8
    assert group.sessions[0].starts_at == local_to_utc(_day(now, 14), time(17))
    assert answer.response.headers["Location"] == f"/staff/groups/{group.id}"
    listing = Citizen(signed_in).get("/staff/groups").text()
    assert "Onsdagsgruppen 8 møder" in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"capacity": "0"}, "capacity", "Der skal være mindst 1 plads."),
        ({"name": "Gruppe 010190-1234"}, "name", "Navnet ligner et CPR-nummer"),
        ({"first_day": "2020-01-01"}, "first_day", "Tiderne skal ligge i fremtiden."),
        ({"weekdays": []}, "weekdays", "Vælg mindst én ugedag."),
        ({"start": "kl. fem"}, "start", "Skriv et klokkeslæt som 17:00."),
    ],
    ids=["zero capacity", "cpr-like name", "past date", "no weekday", "unreadable time"],
)
def test_a_group_with_bad_input_is_refused_next_to_the_field(
    signed_in: FlaskClient,
    session: Session,
    now: datetime,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    """The refusal is shown by the field it concerns, with a 4xx, and no group is saved."""
    form = group_form(now, **changes)

    answer = submit(signed_in, "/staff/groups", "/staff/groups", form)

    assert answer.status == 422
    assert f'<p class="field-error" id="{field}-error">{message}' in answer.html
    assert _groups_named(session, str(form["name"])) == 0
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "group.created")) is None


def test_a_slot_in_the_past_is_refused(
    signed_in: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """A slot on a past date is refused by the date field, and nothing is saved."""
    day = _day(now, -3)
    form = {"day": day.isoformat(), "start": "10:00", "minutes": "45", "kind": "intro"}

    answer = submit(signed_in, "/staff/slots", "/staff/slots", form)

    assert answer.status == 422
    assert '<p class="field-error" id="day-error">Tiderne skal ligge i fremtiden.' in answer.html
    assert _slots_at(session, world, local_to_utc(day, time(10))) == 0


def test_raising_capacity_promotes_the_waitlist_in_order(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """With two places and two waiting, one more place goes to the first on the waitlist."""
    courses = []
    for slot in world.intro_a:
        token, course = approved_course(client, world, session, now=now, slot=slot)
        _join(client, token, world.group_a)
        courses.append(course)
    sign_in(client, staff["staff_a"])
    before = Citizen(client).get(f"/staff/groups/{world.group_a}").text()

    answer = submit(
        client,
        f"/staff/groups/{world.group_a}",
        f"/staff/groups/{world.group_a}/capacity",
        {"capacity": "3"},
    )

    assert answer.status == 303
    waiting = before.split("Venteliste", 2)[-1]
    assert waiting.index(courses[2]["reference"]) < waiting.index(courses[3]["reference"])
    session.expire_all()
    statuses = {
        str(b.course_id): b.status
        for b in session.scalars(select(Booking).where(Booking.group_id == world.group_a))
    }
    assert statuses[courses[2]["id"]] is BookingStatus.BOOKED
    assert statuses[courses[3]["id"]] is BookingStatus.WAITLISTED
    after = Citizen(client).get(f"/staff/groups/{world.group_a}").text()
    assert "1 fra ventelisten har fået plads." in after
    assert "3 af 3 pladser er optaget · 1 på ventelisten" in after


def test_capacity_zero_or_below_the_booked_places_is_refused(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """Zero places, or fewer than are booked, is refused by the field and nothing changes."""
    for slot in world.intro_a[:2]:
        token, _ = approved_course(client, world, session, now=now, slot=slot)
        _join(client, token, world.group_a)
    sign_in(client, staff["staff_a"])
    path = f"/staff/groups/{world.group_a}/capacity"

    zero = submit(client, f"/staff/groups/{world.group_a}", path, {"capacity": "0"})
    lower = submit(client, f"/staff/groups/{world.group_a}", path, {"capacity": "1"})

    assert zero.status == 422
    assert "Der skal være mindst 1 plads." in zero.text()
    assert lower.status == 409
    assert "2 pladser er booket" in lower.text()
    session.expire_all()
    assert session.get_one(Group, world.group_a).capacity == 2


def test_intake_is_closed_and_opened(
    signed_in: FlaskClient, session: Session, world: World
) -> None:
    """Closing the intake is saved and shown on the group's page."""
    answer = submit(
        signed_in,
        f"/staff/groups/{world.group_a}",
        f"/staff/groups/{world.group_a}/intake",
        {"intake": "closed"},
    )

    assert answer.status == 303
    session.expire_all()
    assert session.get_one(Group, world.group_a).intake_open is False
    assert (
        "Lukket for nye deltagere"
        in Citizen(signed_in).get(f"/staff/groups/{world.group_a}").text()
    )


def test_a_group_of_another_centre_is_not_found(
    client: FlaskClient, staff: Staff, session: Session, world: World
) -> None:
    """Centre B's staff get 404 for centre A's group, its sessions and its capacity."""
    session_id = session.get_one(Group, world.group_a).sessions[0].id
    session.commit()  # end the read, so that SQLite lets the app write
    sign_in(client, staff["staff_b"])

    page = Citizen(client).get(f"/staff/groups/{world.group_a}")
    change = forge(client, f"/staff/groups/{world.group_a}/capacity", {"capacity": "9"})
    attendance = Citizen(client).get(
        f"/staff/groups/{world.group_a}/sessions/{session_id}/attendance"
    )

    assert (page.status, change.status, attendance.status) == (404, 404, 404)
    session.expire_all()
    assert session.get_one(Group, world.group_a).capacity == 2


# Moving a session


def test_a_session_is_moved_past_the_others_and_renumbered(
    signed_in: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """Moving session 2 a day past session 4 makes it number 4; the others close up."""
    group = session.get_one(Group, world.group_a)
    second, third = group.sessions[1].id, group.sessions[2].id
    session.commit()  # end the read, so that SQLite lets the app write
    day = _day(now, 7 * 6)
    path = f"/staff/groups/{world.group_a}/sessions/{second}/move"
    form_page = Citizen(signed_in).get(path)

    answer = submit(
        signed_in,
        path,
        path,
        {"day": day.isoformat(), "start": "17:00", "minutes": "90", "onto_holiday": "y"},
    )

    assert form_page.status == 200
    assert answer.status == 303
    session.expire_all()
    moved = session.get_one(GroupSession, second)
    assert (moved.number, moved.starts_at) == (4, local_to_utc(day, time(17)))
    assert session.get_one(GroupSession, third).number == 2
    numbers = [s.number for s in session.get_one(Group, world.group_a).sessions]
    assert numbers == [1, 2, 3, 4]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "group_session.moved"))
    assert event is not None
    assert event.object_id == second


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"day": "2020-03-03", "start": "17:00", "minutes": "90"},
            "Tiderne skal ligge i fremtiden.",
        ),
        ({"day": "", "start": "17:00", "minutes": "90"}, "Vælg en dato."),
        ({"day": "2099-03-03", "start": "17:00", "minutes": "0"}, "fra 1 til 480"),
    ],
    ids=["past", "no date", "no length"],
)
def test_a_bad_move_is_refused_and_nothing_moves(
    signed_in: FlaskClient, session: Session, world: World, form: dict[str, str], message: str
) -> None:
    """A move to the past, without a date or without a length is refused by its field."""
    meeting = session.get_one(Group, world.group_a).sessions[1]
    before = meeting.starts_at
    session.commit()  # end the read, so that SQLite lets the app write

    answer = submit(
        signed_in,
        f"/staff/groups/{world.group_a}/sessions/{meeting.id}/move",
        f"/staff/groups/{world.group_a}/sessions/{meeting.id}/move",
        form,
    )

    assert answer.status == 422
    assert message in answer.text()
    session.expire_all()
    assert session.get_one(GroupSession, meeting.id).starts_at == before


def test_move_session_refuses_what_breaks_the_rules(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """The rule refuses the past, an end before the start, another session's time, a member's
    closing talk before the new time, and another centre's actor (as not found)."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    _join(client, token, world.group_a)
    booked = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_late_a)}, headers=bearer(token)
    )
    assert booked.status_code == 201, booked.get_json()
    group = session.get_one(Group, world.group_a)
    second, third, last = group.sessions[1], group.sessions[2], group.sessions[3]
    closing = session.get_one(Slot, world.closing_late_a)
    mine, theirs = actor_of(staff["staff_a"]), actor_of(staff["staff_b"])
    later = now + timedelta(days=1)
    cases: list[tuple[Actor, datetime, datetime, type[errors.DomainError]]] = [
        (mine, now - timedelta(days=1), now - timedelta(hours=22), errors.InvalidSchedule),
        (mine, later, later - timedelta(hours=1), errors.InvalidSchedule),
        (mine, third.starts_at, third.ends_at, errors.InvalidSchedule),
        (mine, closing.starts_at, closing.ends_at, errors.Overlap),
        (
            mine,
            closing.starts_at + timedelta(days=1),
            closing.ends_at + timedelta(days=1),
            errors.ClosingTooEarly,
        ),
        (theirs, later, later + timedelta(hours=1), errors.NotFound),
    ]

    refused = []
    for actor, start, end, _ in cases:
        try:
            schedule.move_session(
                session,
                actor,
                group.id,
                second.id,
                starts_at=start,
                ends_at=end,
                now=now,
                onto_holiday=True,
            )
        except errors.DomainError as error:
            refused.append(type(error))
        session.rollback()

    assert len(refused) == len(cases)
    assert all(
        issubclass(got, expected) for got, (*_, expected) in zip(refused, cases, strict=True)
    )
    assert session.get_one(GroupSession, last.id).number == 4


def test_move_session_refuses_a_session_that_has_begun(
    session: Session, staff: Staff, world: World, now: datetime
) -> None:
    """A session under way (attendance may be recorded for it) stays where it is."""
    first = _begin_first_session(session, world, now)
    later = now + timedelta(days=2)

    with pytest.raises(errors.InvalidSchedule):
        schedule.move_session(
            session,
            actor_of(staff["staff_a"]),
            world.group_a,
            first.id,
            starts_at=later,
            ends_at=later + timedelta(hours=1),
            now=now,
        )


def test_move_session_keeps_numbering_when_the_order_holds(
    session: Session, staff: Staff, world: World, now: datetime
) -> None:
    """A session moved a day within its week keeps its number and is audited."""
    meeting = session.get_one(Group, world.group_a).sessions[1]
    start = meeting.starts_at + timedelta(days=1)

    moved = schedule.move_session(
        session,
        actor_of(staff["staff_a"]),
        world.group_a,
        meeting.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        now=now,
        onto_holiday=True,
    )
    session.commit()

    assert (moved.number, moved.starts_at) == (2, start)
    assert session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "group_session.moved", AuditEvent.centre_id == world.centre_a
        )
    )


# Attendance


def test_attendance_is_recorded_with_a_check_box_per_member(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """One member ticked is present, the unticked one absent; the page shows both by reference."""
    members = []
    for slot in world.intro_a[:2]:
        token, course = approved_course(client, world, session, now=now, slot=slot)
        _join(client, token, world.group_a)
        members.append(course)
    first = _begin_first_session(session, world, now)
    sign_in(client, staff["staff_a"])
    path = f"/staff/groups/{world.group_a}/sessions/{first.id}/attendance"
    form_page = Citizen(client).get(path)

    answer = submit(client, path, path, {"present": [members[0]["id"]]})

    assert form_page.status == 200
    assert all(m["reference"] in form_page.text() for m in members)
    assert f'value="{members[0]["id"]}"' in form_page.html
    assert answer.status == 303
    session.expire_all()
    marks = {
        str(course_id): present
        for course_id, present in session.execute(
            select(Booking.course_id, Attendance.present).join(
                Booking, Booking.id == Attendance.booking_id
            )
        )
    }
    assert marks == {members[0]["id"]: True, members[1]["id"]: False}
    again = Citizen(client).get(path)
    assert "Fremmødet er registreret" in again.text()
    assert _checked(again, members[0]["id"])
    assert not _checked(again, members[1]["id"])


def _checked(page: Page, value: str) -> bool:
    tag = next(t for t in page.html.split("<input")[1:] if f'value="{value}"' in t.split(">")[0])
    return "checked" in tag.split(">")[0]


def test_attendance_before_the_session_begins_is_refused(
    client: FlaskClient, staff: Staff, session: Session, world: World, now: datetime
) -> None:
    """A session still to come cannot have attendance: 422 with a message, nothing saved.

    Its page offers no form before the meeting begins, so the request is crafted.
    """
    token, course = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    _join(client, token, world.group_a)
    meeting = session.get_one(Group, world.group_a).sessions[0]
    session.commit()  # end the read, so that SQLite lets the app write
    sign_in(client, staff["staff_a"])
    path = f"/staff/groups/{world.group_a}/sessions/{meeting.id}/attendance"

    answer = forge(client, path, {"present": [course["id"]]})

    assert answer.status == 422
    assert "Fremmøde kan registreres, når mødet er begyndt." in answer.text()
    assert session.scalar(select(func.count(Attendance.id))) == 0


def test_the_menu_offers_slots_and_groups_to_centre_staff_only(
    client: FlaskClient, staff: Staff
) -> None:
    """Centre staff see "Tider" and "Grupper"; a coordinator sees neither and is refused."""
    sign_in(client, staff["admin_a"])
    menu = Citizen(client).get("/staff/slots").html
    submit(client, "/staff/password", "/staff/logout")
    sign_in(client, staff["coordinator"])
    other = Citizen(client).get("/staff/")
    refused = Citizen(client).get("/staff/groups")

    assert 'href="/staff/slots">Tider<' in menu
    assert 'href="/staff/groups">Grupper<' in menu
    assert "/staff/slots" not in other.html
    assert refused.status == 403
