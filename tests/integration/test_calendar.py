"""Calendars that follow every change: stable UIDs, SEQUENCE, STATUS:CANCELLED and reminders.

Every calendar fetched here is read by two parsers (``tests.support.ics``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import create_app
from service.config import ConfigError, from_environ
from service.db import engine_of
from service.models import Booking, GroupSession, Slot
from tests.conftest import ROTATED_TOKEN_KEY, app_config
from tests.support import ics
from tests.support.calls import approved_course, bearer, start_course
from tests.support.pages import Citizen
from tests.support.world import World


@pytest.fixture
def citizen(client: FlaskClient) -> Citizen:
    """Return one browser."""
    return Citizen(client)


def sign_in(citizen: Citizen, token: str) -> None:
    """Sign in on the code page with a code, as a person types it."""
    answer = citizen.submit(citizen.get("/code"), "/code", {"code": token})
    assert answer.status == 303


def download(citizen: Citizen) -> list[ics.Event]:
    """Fetch /my/calendar.ics and read it with both parsers."""
    response = citizen.get("/my/calendar.ics").response
    assert response.status_code == 200
    return ics.read(response.get_data(as_text=True))


def test_two_downloads_give_the_same_uids(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """Re-importing updates the events: the UIDs do not change between downloads or routes."""
    token, course = start_course(client, world)
    sign_in(citizen, token)

    first, second = download(citizen), download(citizen)
    by_api = ics.read(
        client.get("/api/v1/me/calendar.ics", headers=bearer(token)).get_data(as_text=True)
    )

    assert [e.uid for e in first] == [e.uid for e in second] == [e.uid for e in by_api]
    assert len(first) == 1
    assert (first[0].sequence, first[0].status) == (0, "CONFIRMED")
    for revealing in (str(course["id"]), course["reference"], token, "intro"):
        assert revealing.lower() not in first[0].uid.lower()


def test_moving_the_intro_keeps_its_uid_and_raises_its_sequence(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """The citizen moves the intro on /my: the same event at the new time, a higher SEQUENCE."""
    token, _ = start_course(client, world, slot=world.intro_a[0])
    sign_in(citizen, token)
    (before,) = download(citizen)

    choose = citizen.get("/my/time/intro")
    moved = citizen.submit(choose, "/my/time/intro", {"slot": str(world.intro_a[1])})
    (after,) = download(citizen)

    assert moved.status == 303
    assert after.uid == before.uid
    assert after.start != before.start
    assert after.sequence > before.sequence
    assert after.status == "CONFIRMED"


def test_a_cancelled_talk_stays_in_the_file_as_cancelled(
    citizen: Citizen, client: FlaskClient, world: World, session: Session
) -> None:
    """Cancelling on /my keeps the event, STATUS:CANCELLED, a higher SEQUENCE and no reminders."""
    token, course = start_course(client, world)
    sign_in(citizen, token)
    (before,) = download(citizen)
    booking_id = session.scalar(
        select(Booking.id).where(Booking.course_id == uuid.UUID(course["id"]))
    )
    session.rollback()

    action = f"/my/bookings/{booking_id}/cancel"
    cancelled = citizen.submit(citizen.get(action), action, {})
    (after,) = download(citizen)

    assert cancelled.status == 303
    assert (after.uid, after.start) == (before.uid, before.start)
    assert after.status == "CANCELLED"
    assert after.sequence > before.sequence
    assert after.alarms == ()


def test_leaving_the_group_cancels_its_meetings_and_rejoining_books_them_again(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Each meeting is one event: cancelled on leaving, booked on rejoining, each time higher."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    joined = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
    ).get_json()

    def fetch() -> list[ics.Event]:
        answer = client.get("/api/v1/me/calendar.ics", headers=bearer(token))
        return ics.read(answer.get_data(as_text=True))

    booked = fetch()
    client.delete(f"/api/v1/me/bookings/{joined['id']}", headers=bearer(token))
    left = fetch()
    client.post("/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token))
    again = fetch()

    assert len(booked) == 4
    assert [e.uid for e in left] == [e.uid for e in booked] == [e.uid for e in again]
    assert {e.status for e in left} == {"CANCELLED"}
    assert {e.status for e in again} == {"CONFIRMED"}
    for first, second, third in zip(booked, left, again, strict=True):
        assert first.sequence < second.sequence < third.sequence


def test_a_meeting_moved_by_staff_raises_its_sequence(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Whatever changes a meeting's time raises its sequence, so calendars take the new time."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    client.post("/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token))
    before = ics.read(
        client.get("/api/v1/me/calendar.ics", headers=bearer(token)).get_data(as_text=True)
    )
    meeting = session.scalars(
        select(GroupSession)
        .where(GroupSession.group_id == world.group_a)
        .order_by(GroupSession.starts_at.desc())
    ).first()
    assert meeting is not None
    meeting.starts_at += timedelta(hours=1)
    meeting.ends_at += timedelta(hours=1)
    session.commit()

    after = ics.read(
        client.get("/api/v1/me/calendar.ics", headers=bearer(token)).get_data(as_text=True)
    )

    assert [e.uid for e in after] == [e.uid for e in before]
    assert [e.sequence for e in after] == [e.sequence for e in before[:-1]] + [
        before[-1].sequence + 1
    ]
    assert after[-1].start == before[-1].start + timedelta(hours=1)


def test_reminders_are_the_day_before_and_an_hour_before_by_default(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """Two DISPLAY alarms, kept by the device: one day and one hour before the time."""
    token, _ = start_course(client, world)
    sign_in(citizen, token)

    (event,) = download(citizen)
    text = citizen.get("/my/calendar.ics").response.get_data(as_text=True)

    assert event.alarms == (timedelta(days=-1), timedelta(hours=-1))
    assert text.count("ACTION:DISPLAY") == 2
    assert text.count("DESCRIPTION:Aftale") == 2


@pytest.mark.parametrize(
    ("setting", "alarms"),
    [
        ("30", (timedelta(minutes=-30),)),
        ("2880 1440 15", (timedelta(days=-2), timedelta(days=-1), timedelta(minutes=-15))),
        ("", ()),
    ],
)
def test_reminders_follow_the_setting(
    app: Flask,
    citizen: Citizen,
    client: FlaskClient,
    world: World,
    setting: str,
    alarms: tuple[timedelta, ...],
) -> None:
    """DISKRET_CALENDAR_REMINDER_MINUTES sets the reminders; empty leaves none."""
    app.config["CALENDAR_REMINDER_MINUTES"] = setting
    token, _ = start_course(client, world)
    sign_in(citizen, token)

    (event,) = download(citizen)

    assert event.alarms == alarms


def test_a_reminder_setting_that_is_not_minutes_stops_the_start() -> None:
    """Only whole minutes separated by spaces are a reminder setting."""
    with pytest.raises(ConfigError, match="CALENDAR_REMINDER_MINUTES"):
        from_environ({"DISKRET_CALENDAR_REMINDER_MINUTES": "1 day"})


def test_a_cancelled_talk_leaves_the_file_once_its_time_has_passed(
    citizen: Citizen, client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """STATUS:CANCELLED is kept while a calendar could still show the time, not after."""
    token, _ = start_course(client, world)
    sign_in(citizen, token)
    booking = client.get("/api/v1/me", headers=bearer(token)).get_json()["bookings"][0]
    client.delete(f"/api/v1/me/bookings/{booking['id']}", headers=bearer(token))
    (cancelled,) = download(citizen)

    slot = session.get_one(Slot, uuid.UUID(booking["slot"]["id"]))
    slot.starts_at, slot.ends_at = now - timedelta(hours=2), now - timedelta(hours=1)
    session.commit()

    assert cancelled.status == "CANCELLED"
    assert download(citizen) == []


def test_a_new_key_version_changes_the_uids_once(
    client: FlaskClient, world: World, database_url: str
) -> None:
    """The UIDs are keyed: under a new current key version they differ, as SECURITY.md says."""
    token, _ = start_course(client, world)
    rotated = create_app(app_config(database_url, TOKEN_KEY=ROTATED_TOKEN_KEY))

    def uids(app_client: FlaskClient) -> list[str]:
        answer = app_client.get("/api/v1/me/calendar.ics", headers=bearer(token))
        return [event.uid for event in ics.read(answer.get_data(as_text=True))]

    before, after, again = uids(client), uids(rotated.test_client()), uids(rotated.test_client())

    assert len(before) == 1
    assert after != before
    assert again == after
    engine_of(rotated).dispose()
