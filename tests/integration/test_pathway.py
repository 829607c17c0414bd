"""The whole pathway over HTTP: decision, group, waitlist, closing talk, cancelling and erasure."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from service.models import Booking, BookingKind, Centre, Group, Slot
from tests.support.calls import approved_course, bearer, hold_intro, start_course
from tests.support.scan import database_contains, logs_contain
from tests.support.world import World, add_group

CLIENT_ADDRESS = "198.51.100.23"  # TEST-NET-2 (RFC 5737): documentation only.


def _join(client: FlaskClient, token: str, group: uuid.UUID) -> Any:
    return client.post("/api/v1/me/bookings", json={"group_id": str(group)}, headers=bearer(token))


def _me(client: FlaskClient, token: str) -> dict[str, Any]:
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def _group_booking(course: dict[str, Any]) -> dict[str, Any]:
    return next(
        b for b in course["bookings"] if b["kind"] == "group" and b["status"] != "cancelled"
    )


def test_full_flow_leaves_neither_token_nor_address_behind(
    client: FlaskClient,
    world: World,
    session: Session,
    now: datetime,
    captured_logs: pytest.LogCaptureFixture,
) -> None:
    """Create, approve, join, book closing, cancel, erase: then no table and no log holds either."""
    environ = {"REMOTE_ADDR": CLIENT_ADDRESS}
    client.environ_base.update(environ)
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    joined = _join(client, token, world.group_a)
    closing = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_late_a)}, headers=bearer(token)
    )
    cancelled = client.delete(
        f"/api/v1/me/bookings/{closing.get_json()['id']}", headers=bearer(token)
    )
    calendar = client.get("/api/v1/me/calendar.ics", headers=bearer(token))

    erased = client.delete("/api/v1/me", headers=bearer(token))

    assert (joined.status_code, joined.get_json()["status"]) == (201, "booked")
    assert closing.status_code == 201
    assert cancelled.status_code == 200
    assert calendar.status_code == 200
    assert erased.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert not database_contains(session, token)
    assert not database_contains(session, CLIENT_ADDRESS)
    assert not logs_contain(captured_logs, token)
    assert not logs_contain(captured_logs, CLIENT_ADDRESS)
    assert any("/api/v1/me" in r.getMessage() for r in captured_logs.records)


def test_joining_a_group_needs_the_decision_approved(client: FlaskClient, world: World) -> None:
    """Rule 3: a course still waiting for its intro cannot join a group."""
    token, _ = start_course(client, world)

    response = _join(client, token, world.group_a)

    assert response.status_code == 409
    assert response.get_json()["code"] == "not_approved"


def test_a_referred_course_cannot_join_a_group(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """A course referred to ordinary treatment has ended and books nothing more."""
    token, course = start_course(client, world)
    hold_intro(session, course["id"], now=now)
    client.post(
        f"/api/v1/courses/{course['id']}/decision",
        json={"decision": "referred"},
        headers=bearer(world.manage_a),
    )

    response = _join(client, token, world.group_a)

    assert response.status_code == 409
    assert response.get_json()["code"] == "course_closed"


def test_a_decision_waits_for_the_intro_talk(client: FlaskClient, world: World) -> None:
    """Staff cannot decide before the intro talk has taken place."""
    _, course = start_course(client, world)

    response = client.post(
        f"/api/v1/courses/{course['id']}/decision",
        json={"decision": "approved"},
        headers=bearer(world.manage_a),
    )

    assert response.status_code == 409
    assert response.get_json()["code"] == "intro_not_held"


def test_a_full_group_puts_the_citizen_on_a_fifo_waitlist(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Rule 4: with two places, the third and fourth wait in the order they came."""
    tokens = [
        approved_course(client, world, session, now=now, slot=slot)[0] for slot in world.intro_a
    ]

    answers = [_join(client, token, world.group_a).get_json() for token in tokens]

    assert [a["status"] for a in answers] == ["booked", "booked", "waitlisted", "waitlisted"]
    assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2]


def test_cancelling_a_place_promotes_the_first_waiting_citizen(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Rule 4: the freed place goes to the head of the waitlist in the same transaction."""
    tokens = [
        approved_course(client, world, session, now=now, slot=slot)[0] for slot in world.intro_a
    ]
    places = [_join(client, token, world.group_a).get_json() for token in tokens]

    response = client.delete(f"/api/v1/me/bookings/{places[0]['id']}", headers=bearer(tokens[0]))

    assert response.status_code == 200
    assert _group_booking(_me(client, tokens[2]))["status"] == "booked"
    assert _group_booking(_me(client, tokens[3]))["waitlist_position"] == 1
    assert _me(client, tokens[2])["status"] == "active"


def test_raising_capacity_promotes_as_many_as_now_fit(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Raising a full group's capacity by two gives the two first waiting citizens a place."""
    tokens = [
        approved_course(client, world, session, now=now, slot=slot)[0] for slot in world.intro_a
    ]
    for token in tokens:
        _join(client, token, world.group_a)

    response = client.patch(
        f"/api/v1/groups/{world.group_a}", json={"capacity": 4}, headers=bearer(world.manage_a)
    )

    assert response.status_code == 200
    assert (response.get_json()["places_left"], response.get_json()["waitlist_length"]) == (0, 0)
    assert all(_group_booking(_me(client, t))["status"] == "booked" for t in tokens)


def test_capacity_cannot_go_below_the_booked_places(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Lowering the capacity under the places already booked is refused."""
    for slot in world.intro_a[:2]:
        token, _ = approved_course(client, world, session, now=now, slot=slot)
        _join(client, token, world.group_a)

    response = client.patch(
        f"/api/v1/groups/{world.group_a}", json={"capacity": 1}, headers=bearer(world.manage_a)
    )

    assert response.status_code == 409
    assert response.get_json()["code"] == "capacity_below_booked"


def test_late_joining_stops_after_the_configured_session(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Rule 3: once session `late_join_until` has started, the group cannot be joined."""
    running = add_group(
        session,
        session.get_one(Centre, world.centre_a),
        first=now - timedelta(weeks=2, hours=1),
        capacity=5,
        late_join_until=2,
    )
    session.commit()
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])

    response = _join(client, token, running.id)

    assert response.status_code == 409
    assert response.get_json()["code"] == "joining_closed"


def test_the_closing_talk_comes_after_the_last_group_session(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Rule 3: a closing slot during the group is refused, one after it is booked."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    _join(client, token, world.group_a)

    early = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_early_a)}, headers=bearer(token)
    )
    late = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_late_a)}, headers=bearer(token)
    )

    assert early.status_code == 409
    assert early.get_json()["code"] == "closing_too_early"
    assert late.status_code == 201


def test_after_leaving_the_group_the_closing_talk_may_come_at_once(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Rule 3: a citizen who left the group may book a closing talk before the group ends."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    place = _join(client, token, world.group_a).get_json()
    client.delete(f"/api/v1/me/bookings/{place['id']}", headers=bearer(token))

    response = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_early_a)}, headers=bearer(token)
    )

    assert response.status_code == 201


def test_a_closing_talk_needs_a_group_place_first(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """An approved course that never joined a group cannot book a closing talk."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])

    response = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_late_a)}, headers=bearer(token)
    )

    assert response.status_code == 409
    assert response.get_json()["code"] == "closing_needs_group"


def test_a_token_never_holds_two_overlapping_bookings(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Rule 2: joining a group whose session falls on the booked closing talk is refused."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    place = _join(client, token, world.group_a).get_json()
    closing = session.get_one(Slot, world.closing_late_a)
    clashing = add_group(
        session,
        session.get_one(Centre, world.centre_a),
        first=closing.starts_at - timedelta(weeks=1, minutes=30),
        capacity=5,
    )
    session.commit()
    client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.closing_late_a)}, headers=bearer(token)
    )
    client.delete(f"/api/v1/me/bookings/{place['id']}", headers=bearer(token))

    response = _join(client, token, clashing.id)

    assert response.status_code == 409
    assert response.get_json()["code"] == "booking_overlaps"


def test_a_second_intro_is_refused_while_one_is_booked(client: FlaskClient, world: World) -> None:
    """A course holds one intro at a time: cancel it first to choose another."""
    token, _ = start_course(client, world)

    response = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.intro_a[1])}, headers=bearer(token)
    )

    assert response.status_code == 409
    assert response.get_json()["code"] == "already_booked"


def test_moving_the_intro_frees_the_old_slot(client: FlaskClient, world: World) -> None:
    """Cancelling the intro frees its slot for others, and a new intro can be booked."""
    token, course = start_course(client, world)
    [intro] = course["bookings"]

    cancelled = client.delete(f"/api/v1/me/bookings/{intro['id']}", headers=bearer(token))
    rebooked = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(world.intro_a[1])}, headers=bearer(token)
    )
    free = client.get(f"/api/v1/centres/{world.centre_a}/slots?kind=intro").get_json()

    assert cancelled.status_code == 200
    assert rebooked.status_code == 201
    assert str(world.intro_a[0]) in [slot["id"] for slot in free]
    assert str(world.intro_a[1]) not in [slot["id"] for slot in free]


def test_a_booking_of_another_course_is_not_found(client: FlaskClient, world: World) -> None:
    """P9: a token reaches only its own course's bookings."""
    token, _ = start_course(client, world, slot=world.intro_a[0])
    _, other = start_course(client, world, slot=world.intro_a[1])

    response = client.delete(
        f"/api/v1/me/bookings/{other['bookings'][0]['id']}", headers=bearer(token)
    )

    assert response.status_code == 404


def test_outcome_completed_closes_the_course(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Staff close an active course as completed; it then books nothing more."""
    token, course = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    _join(client, token, world.group_a)

    response = client.post(
        f"/api/v1/courses/{course['id']}/outcome",
        json={"outcome": "completed"},
        headers=bearer(world.manage_a),
    )

    assert response.status_code == 200
    assert response.get_json()["status"] == "completed"
    assert _join(client, token, world.group_b).get_json()["code"] == "course_closed"


def test_dropping_a_course_that_never_started_records_it_as_cancelled(
    client: FlaskClient, world: World
) -> None:
    """A course ended before any group place counts as cancelled, not dropped."""
    _, course = start_course(client, world)

    response = client.post(
        f"/api/v1/courses/{course['id']}/outcome",
        json={"outcome": "dropped"},
        headers=bearer(world.manage_a),
    )

    assert response.get_json()["status"] == "cancelled"
    free = client.get(f"/api/v1/centres/{world.centre_a}/slots?kind=intro").get_json()
    assert str(world.intro_a[0]) in [slot["id"] for slot in free]


def test_a_replaced_token_stops_working(client: FlaskClient, world: World) -> None:
    """Staff replace a lost token; the old one is refused and the new one works."""
    old, course = start_course(client, world)

    response = client.post(f"/api/v1/courses/{course['id']}/token", headers=bearer(world.manage_a))

    new = response.get_json()["token"]
    assert response.status_code == 201
    assert client.get("/api/v1/me", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(new)).get_json()["id"] == course["id"]


def test_erasing_frees_the_group_place_for_the_waitlist(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Erasure releases the place, and the first waiting citizen gets it."""
    tokens = [
        approved_course(client, world, session, now=now, slot=slot)[0] for slot in world.intro_a[:3]
    ]
    for token in tokens:
        _join(client, token, world.group_a)

    client.delete("/api/v1/me", headers=bearer(tokens[0]))

    assert _group_booking(_me(client, tokens[2]))["status"] == "booked"


def test_attendance_is_recorded_for_members_of_a_session_that_began(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Staff mark a member present at a session that has started."""
    token, course = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    _join(client, token, world.group_a)
    group = session.get_one(Group, world.group_a)
    first = group.sessions[0]
    first.starts_at, first.ends_at = now - timedelta(hours=1), now + timedelta(hours=1)
    # The member is on its list: the place was granted before it began.
    session.execute(
        update(Booking)
        .where(Booking.course_id == uuid.UUID(course["id"]), Booking.kind == BookingKind.GROUP)
        .values(placed_at=now - timedelta(days=1))
    )
    session.commit()

    response = client.put(
        f"/api/v1/groups/{world.group_a}/sessions/{first.id}/attendance",
        json={"marks": [{"course_id": course["id"], "present": True}]},
        headers=bearer(world.manage_a),
    )

    assert response.status_code == 200
    assert response.get_json()[0]["present"] is True


def test_the_calendar_file_is_neutral(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """P7: the calendar says "Aftale" and the address, with no attendee, organizer or drug word.

    The only description is the reminders' own, "Aftale" (RFC 5545 requires one of a DISPLAY alarm).
    """
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    _join(client, token, world.group_a)

    text = client.get("/api/v1/me/calendar.ics", headers=bearer(token)).get_data(as_text=True)

    assert text.count("BEGIN:VEVENT") == 4
    assert "SUMMARY:Aftale" in text
    descriptions = [line for line in text.splitlines() if line.startswith("DESCRIPTION")]
    assert descriptions
    assert set(descriptions) == {"DESCRIPTION:Aftale"}
    for word in ("ATTENDEE", "ORGANIZER", "behandling", "stof", "drug", "Centre A"):
        assert word.lower() not in text.lower()


def test_slots_are_created_by_a_weekly_pattern_that_skips_existing_times(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """A weekly pattern adds one slot per weekday and week, skipping times already there."""
    first_day = (now + timedelta(days=2)).date().isoformat()
    body = {
        "kind": "intro",
        "weekly": {
            "first_day": first_day,
            "weekdays": [0, 2],
            "start_time": "10:00",
            "minutes": 45,
            "weeks": 2,
        },
    }

    first = client.post(
        f"/api/v1/centres/{world.centre_a}/slots", json=body, headers=bearer(world.manage_a)
    )
    again = client.post(
        f"/api/v1/centres/{world.centre_a}/slots", json=body, headers=bearer(world.manage_a)
    )

    assert first.status_code == 201
    assert len(first.get_json()) == 4
    assert again.get_json() == []
