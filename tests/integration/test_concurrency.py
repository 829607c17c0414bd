"""Rules 1 and 2 under real concurrency: many requests at once, two app processes, PostgreSQL."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.models import Booking, BookingKind, BookingStatus, Group
from tests.conftest import TEST_TOKEN_KEY
from tests.support.processes import app_processes
from tests.support.racing import Call, approved_tokens, group_bookings, race
from tests.support.world import build_world

RACERS = 60


@pytest.fixture
def servers(postgres_url: str) -> Iterator[list[str]]:
    """Run two app processes on the same database."""
    environment = {
        "DISKRET_DATABASE_URL": postgres_url,
        "DISKRET_SECRET_KEY": "test-only-secret-key-not-for-production-use",
        "DISKRET_TOKEN_KEY": TEST_TOKEN_KEY,
        "DISKRET_ENVIRONMENT": "testing",
        "DISKRET_RATELIMIT_DEFAULT": "100000 per minute",
        "DISKRET_RATELIMIT_COURSE_CREATE": "100000 per minute",
        "DISKRET_RATELIMIT_TOKEN": "100000 per minute",
    }
    with app_processes(2, environment) as urls:
        yield urls


@pytest.mark.postgres
def test_racers_for_five_places_book_exactly_five_and_queue_the_rest(
    pg_session: Session, servers: list[str]
) -> None:
    """60 approved citizens at once, through two processes, at a group of 5: 5 booked, 55 queued."""
    world = build_world(pg_session, crypto.Keyring.parse(TEST_TOKEN_KEY), now=datetime.now(UTC))
    group = pg_session.get_one(Group, world.group_b)
    group.capacity = 5
    pg_session.commit()
    tokens = approved_tokens(pg_session, world, RACERS)
    calls = group_bookings(servers, tokens, world.group_b)

    answers = race(calls)

    statuses = Counter(a.status_code for a in answers)
    outcomes = Counter(a.json()["status"] for a in answers if a.status_code == 201)
    assert statuses == {201: RACERS}, [a.json() for a in answers if a.status_code != 201][:3]
    assert outcomes == {"booked": 5, "waitlisted": RACERS - 5}
    pg_session.expire_all()
    rows = pg_session.scalars(
        select(Booking).where(Booking.group_id == world.group_b).order_by(Booking.queue_no)
    ).all()
    queue = [b.queue_no for b in rows if b.status is BookingStatus.WAITLISTED]
    assert queue == list(range(1, RACERS - 5 + 1))
    assert pg_session.get_one(Group, world.group_b).places_taken == 5
    positions = sorted(
        a.json()["waitlist_position"] for a in answers if a.json()["waitlist_position"]
    )
    assert positions == list(range(1, RACERS - 5 + 1))


@pytest.mark.postgres
def test_cancelling_a_raced_place_promotes_the_head_of_the_queue(
    pg_session: Session, servers: list[str]
) -> None:
    """After the race, a booked citizen cancels and waitlist number 1 gets the place."""
    world = build_world(pg_session, crypto.Keyring.parse(TEST_TOKEN_KEY), now=datetime.now(UTC))
    tokens = approved_tokens(pg_session, world, 8)
    calls = group_bookings(servers, tokens, world.group_b)
    answers = race(calls)
    booked = next(
        (token, a.json())
        for token, a in zip(tokens, answers, strict=True)
        if a.json()["status"] == "booked"
    )
    head = min(
        (a.json()["waitlist_position"], token)
        for token, a in zip(tokens, answers, strict=True)
        if a.json()["status"] == "waitlisted"
    )[1]

    cancelled = httpx.delete(
        f"{servers[1]}/api/v1/me/bookings/{booked[1]['id']}",
        headers={"Authorization": f"Bearer {booked[0]}"},
    )

    assert cancelled.status_code == 200
    me = httpx.get(f"{servers[0]}/api/v1/me", headers={"Authorization": f"Bearer {head}"}).json()
    [place] = [b for b in me["bookings"] if b["kind"] == "group"]
    assert place["status"] == "booked"


@pytest.mark.postgres
def test_racers_for_one_intro_slot_leave_exactly_one_winner(
    pg_session: Session, servers: list[str]
) -> None:
    """60 citizens at once, through two processes, at one intro slot: one course, 59 slot_taken."""
    world = build_world(pg_session, crypto.Keyring.parse(TEST_TOKEN_KEY), now=datetime.now(UTC))
    pg_session.commit()
    body: dict[str, Any] = {
        "home_municipality": "101",
        "centre_id": str(world.centre_a),
        "intro_slot_id": str(world.intro_a[0]),
        "confirm_adult": True,
    }
    calls: list[Call] = [(servers[n % 2], "/api/v1/courses", body, {}) for n in range(RACERS)]

    answers = race(calls)

    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 1, 409: RACERS - 1}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"slot_taken"}
    pg_session.expire_all()
    holders = pg_session.scalars(
        select(Booking).where(
            Booking.slot_id == world.intro_a[0], Booking.kind == BookingKind.INTRO
        )
    ).all()
    assert len(holders) == 1
    assert (
        uuid.UUID(answers[[a.status_code for a in answers].index(201)].json()["course"]["id"])
        == holders[0].course_id
    )
