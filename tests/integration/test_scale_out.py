"""Scale-out as deployed: two `diskret serve` instances of two gunicorn workers each, one
PostgreSQL database and one Redis. Places and rate limits hold across all of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.models import Booking, BookingStatus, Group
from tests.conftest import TEST_TOKEN_KEY
from tests.support import databases
from tests.support.processes import app_processes, gunicorn_server
from tests.support.racing import approved_tokens, group_bookings, race
from tests.support.world import build_world

RACERS = 40
PLACES = 5
COURSE_LIMIT = 3


@pytest.fixture(scope="module")
def instances(postgres_url: str) -> Iterator[list[str]]:
    """Run two `diskret serve` instances on the module's database and the test Redis."""
    redis_url = databases.redis_url()
    # The limiter keys its counters on a digest under the newest token key: a fresh
    # newest key gives this run counters of its own in the shared Redis, while
    # tokens digested under version 1 still verify.
    token_key = f"{TEST_TOKEN_KEY},{crypto.Keyring.generate_config(version=2)}"
    environment = {
        "DISKRET_DATABASE_URL": postgres_url,
        "DISKRET_REDIS_URL": redis_url,
        "DISKRET_SECRET_KEY": "test-only-secret-key-not-for-production-use",
        "DISKRET_TOKEN_KEY": token_key,
        "DISKRET_RATELIMIT_DEFAULT": "100000 per minute",
        "DISKRET_RATELIMIT_TOKEN": "100000 per minute",
        "DISKRET_RATELIMIT_COURSE_CREATE": f"{COURSE_LIMIT} per minute",
    }
    with app_processes(2, environment, command=gunicorn_server) as urls:
        yield urls


@pytest.mark.postgres
@pytest.mark.slow
def test_racers_through_both_instances_book_five_places_and_queue_the_rest(
    pg_session: Session, instances: list[str]
) -> None:
    """40 citizens at once, half through each instance, at 5 places: 5 booked, 35 queued 1..35."""
    world = build_world(pg_session, crypto.Keyring.parse(TEST_TOKEN_KEY), now=datetime.now(UTC))
    pg_session.get_one(Group, world.group_b).capacity = PLACES
    pg_session.commit()
    tokens = approved_tokens(pg_session, world, RACERS)

    answers = race(group_bookings(instances, tokens, world.group_b))

    assert Counter(a.status_code for a in answers) == {201: RACERS}
    assert Counter(a.json()["status"] for a in answers) == {
        "booked": PLACES,
        "waitlisted": RACERS - PLACES,
    }
    positions = sorted(
        a.json()["waitlist_position"] for a in answers if a.json()["status"] != "booked"
    )
    assert positions == list(range(1, RACERS - PLACES + 1))
    pg_session.expire_all()
    queue = pg_session.scalars(
        select(Booking.queue_no)
        .where(Booking.group_id == world.group_b, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.queue_no)
    ).all()
    assert list(queue) == positions
    assert pg_session.get_one(Group, world.group_b).places_taken == PLACES


@pytest.mark.postgres
@pytest.mark.slow
def test_a_rate_limit_used_up_through_one_instance_holds_at_the_other(
    instances: list[str],
) -> None:
    """Three course requests through A use up three a minute; B then answers 429 at once."""
    first, second = instances

    through_first = [httpx.post(f"{first}/api/v1/courses", json={}) for _ in range(COURSE_LIMIT)]
    refused = httpx.post(f"{second}/api/v1/courses", json={})

    assert [a.headers["X-RateLimit-Remaining"] for a in through_first] == ["2", "1", "0"]
    assert all(a.status_code != 429 for a in through_first)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket tables")
def test_each_worker_of_an_instance_listens_on_a_socket_of_its_own(
    instances: list[str],
) -> None:
    """Two listening sockets on each instance's port, one per worker: the kernel spreads
    new connections over them, instead of the first worker to wake taking them all."""
    listening: Counter[int] = Counter()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":  # LISTEN
            listening[int(local.rpartition(":")[2], 16)] += 1

    ports = [int(url.rpartition(":")[2]) for url in instances]

    assert [listening[port] for port in ports] == [2, 2]
    assert all(httpx.get(f"{url}/healthz").status_code == 200 for url in instances)
