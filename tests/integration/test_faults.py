"""Fault injection: PostgreSQL restarts while citizens are booking (tracker issue 7).

`diskret serve` (gunicorn, two workers) books on a PostgreSQL cluster of this
module's own while several clients send a steady stream of new courses, each
for a different free intro slot and under an Idempotency-Key of its own.
Midway the cluster is stopped in ``fast`` mode, as a restart or a failover
does, and started again a moment later. The service itself is never
restarted. The shared server of DISKRET_TEST_POSTGRES_URL is not touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import crypto
from service.booking.directory import load_municipalities
from service.models import (
    Booking,
    BookingKind,
    BookingStatus,
    Course,
    IdempotentAnswer,
    Tally,
)
from tests.support.cluster import Cluster, throwaway_cluster
from tests.support.databases import migrated_engine
from tests.support.processes import ROOT, free_port, gunicorn_server
from tests.support.seeding import add_intro_slots
from tests.support.world import HOME, add_centre, add_contract

# Like the other tests that run app processes on PostgreSQL; this one needs
# the server binaries rather than the shared server, and skips (or, in CI,
# fails) without them.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLIENTS = 8
SLOTS = 6000
# Bookings that must have gone through before the restart, and answers to
# requests sent after it: both sides are seen however slow the machine is.
WARM = 2 * CLIENTS
DOWN_SECONDS = 1.0
AFTER_SECONDS = 2.0
BACKOFF_SECONDS = 0.25
PATIENCE_SECONDS = 60.0
# What a 503 says when the connection broke during COMMIT: saved or not, unknown.
OUTCOME_UNKNOWN = "may or may not have been saved"


@dataclass
class Attempt:
    """One booking request as a client sent it, and what came back."""

    key: str
    body: dict[str, Any]
    sent_at: float
    status: int | None = None  # None: the connection dropped without an answer
    answer: dict[str, Any] = field(default_factory=dict)
    retry_after: str | None = None
    replayed: bool = False

    @property
    def slot(self) -> uuid.UUID:
        """Return the slot this request books."""
        return uuid.UUID(self.body["intro_slot_id"])

    def again(self) -> Attempt:
        """Return the same request under the same key, not yet sent."""
        return Attempt(self.key, self.body, time.monotonic())


@dataclass
class Storm:
    """What the clients sent through the restart, and when the cluster was away."""

    url: str
    engine: Engine
    attempts: list[Attempt]
    stopped_at: float
    back_at: float
    stored: Stored


def seed(engine: Engine) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Commit a centre contracted by the home municipality, with many free intro slots."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        load_municipalities(session)
        centre = add_centre(session, HOME, "Centre F", now)
        add_contract(session, HOME, centre, valid_from=date(2020, 1, 1))
        slots = add_intro_slots(session, centre.id, SLOTS, first=now + timedelta(days=1), now=now)
        session.commit()
        return centre.id, slots


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until the condition holds, or fail naming what never came."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {PATIENCE_SECONDS:.0f} s")
        time.sleep(0.05)


def send(client: httpx.Client, attempt: Attempt) -> Attempt:
    """Send one booking request and record what came back, a dropped connection included."""
    try:
        response = client.post(
            "/api/v1/courses", json=attempt.body, headers={"Idempotency-Key": attempt.key}
        )
    except httpx.TransportError:
        return attempt
    attempt.status = response.status_code
    attempt.answer = response.json()
    attempt.retry_after = response.headers.get("Retry-After")
    attempt.replayed = response.headers.get("Idempotent-Replayed") == "true"
    return attempt


# A course with its booking, the booking's columns None when there is none.
Line = tuple[
    uuid.UUID, uuid.UUID | None, uuid.UUID | None, BookingKind | None, BookingStatus | None
]


@dataclass(frozen=True)
class Stored:
    """What the database holds: one row per course with its booking, and the per-course rows."""

    rows: list[Line]
    tallied: int
    answers: int

    @classmethod
    def read(cls, engine: Engine) -> Stored:
        """Read every course with its bookings, the "requested" tally and the stored answers."""
        with Session(engine) as session:
            rows = session.execute(
                select(Course.id, Booking.slot_id, Booking.id, Booking.kind, Booking.status)
                .select_from(Course)
                .outerjoin(Booking, Booking.course_id == Course.id)
            ).all()
            tallied = session.scalar(
                select(func.coalesce(func.sum(Tally.count), 0)).where(Tally.metric == "requested")
            )
            answers = session.scalar(select(func.count()).select_from(IdempotentAnswer))
        lines: list[Line] = [(c, s, b, kind, status) for c, s, b, kind, status in rows]
        return cls(lines, int(tallied or 0), int(answers or 0))

    def by_slot(self) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]]:
        """Map each booked slot to its course and booking."""
        return {s: (c, b) for c, s, b, *_ in self.rows if s is not None and b is not None}

    def assert_whole(self) -> None:
        """Assert nothing is half-written: one booked intro per course, one course per slot.

        The monthly tally and the stored idempotent answer are written in the
        same transaction as the course, so each must count exactly one per course.
        """
        assert all(slot is not None for _, slot, *_ in self.rows), "a course without a booking"
        assert max(Counter(course for course, *_ in self.rows).values(), default=1) == 1
        assert max(Counter(slot for _, slot, *_ in self.rows).values(), default=1) == 1
        assert {(kind, status) for *_, kind, status in self.rows} <= {
            (BookingKind.INTRO, BookingStatus.BOOKED)
        }
        assert self.tallied == self.answers == len(self.rows)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """Run a PostgreSQL cluster of this module's own."""
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def cluster_engine(cluster: Cluster) -> Iterator[Engine]:
    """Return an engine on the migrated cluster, for arranging and inspecting."""
    engine = migrated_engine(cluster.url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def server(
    cluster: Cluster, cluster_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run `diskret serve` on the cluster and yield its URL; fail on any unhandled error it logs."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "stderr.log"
    environment = {
        **os.environ,
        "DISKRET_DATABASE_URL": cluster.url,
        "DISKRET_SECRET_KEY": "test-only-secret-key-not-for-production-use",
        "DISKRET_TOKEN_KEY": crypto.Keyring.generate_config(),
        "DISKRET_RATELIMIT_DEFAULT": "100000 per minute",
        "DISKRET_RATELIMIT_COURSE_CREATE": "100000 per minute",
    }
    # The request log goes to a file: thousands of lines would fill a pipe and stall the server.
    with log.open("wb") as sink:
        child = subprocess.Popen(
            gunicorn_server(port),
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url, child), "answer from `diskret serve`")
        yield url
    finally:
        # gunicorn's quick shutdown: nothing is in flight any more.
        child.send_signal(signal.SIGQUIT)
        child.wait(timeout=20)
    unhandled = [line for line in _lines(log) if "unhandled" in line]
    assert not unhandled, "\n".join(unhandled[:3])


def _answers(url: str, child: subprocess.Popen[bytes]) -> bool:
    if child.poll() is not None:
        pytest.fail(f"`diskret serve` exited with {child.returncode}")
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def storm(cluster: Cluster, cluster_engine: Engine, server: str) -> Storm:
    """Book steadily from several clients while the cluster stops and starts again."""
    centre, slots = seed(cluster_engine)
    free = iter(slots)
    lock = threading.Lock()
    done = threading.Event()
    attempts: list[Attempt] = []

    def client() -> None:
        with httpx.Client(base_url=server, timeout=20) as http:
            while not done.is_set():
                with lock:
                    slot = next(free, None)
                if slot is None:
                    return
                body = {
                    "home_municipality": HOME,
                    "centre_id": str(centre),
                    "intro_slot_id": str(slot),
                    "confirm_adult": True,
                }
                attempt = send(http, Attempt(str(uuid.uuid4()), body, time.monotonic()))
                with lock:
                    attempts.append(attempt)
                if attempt.status != 201:
                    # A client told to retry backs off a little before its next request.
                    time.sleep(BACKOFF_SECONDS)

    def answered(*, since: float = 0.0, status: int | None = None) -> int:
        with lock:
            return sum(
                a.sent_at >= since and (status is None or a.status == status) for a in attempts
            )

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        clients = [pool.submit(client) for _ in range(CLIENTS)]
        try:
            wait_for(lambda: answered(status=201) >= WARM, "bookings before the restart")
            stopped_at = time.monotonic()
            cluster.stop("fast")
            time.sleep(DOWN_SECONDS)
            cluster.start()
            back_at = time.monotonic()
            time.sleep(AFTER_SECONDS)
            wait_for(lambda: answered(since=back_at) >= WARM, "answers after the restart")
        finally:
            done.set()
        for running in clients:
            running.result()

    assert len(attempts) < SLOTS, "the clients ran out of slots: raise SLOTS"
    return Storm(server, cluster_engine, attempts, stopped_at, back_at, Stored.read(cluster_engine))


def test_every_request_through_a_restart_is_booked_or_told_to_retry(storm: Storm) -> None:
    """Each answer is a 201 or a 503 `busy` with Retry-After: never a 500 or a dropped line."""
    refused = [a for a in storm.attempts if a.status != 201]

    outcomes = Counter((a.status, a.answer.get("code")) for a in storm.attempts)

    assert set(outcomes) <= {(201, None), (503, "busy")}, outcomes
    assert refused, "the restart went unnoticed: no request failed"
    assert all(int(a.retry_after or 0) > 0 for a in refused)
    assert all(a.answer["message"] for a in refused)


def test_a_busy_answer_asks_for_a_retry_in_a_second_not_at_the_next_rate_limit_window(
    storm: Storm,
) -> None:
    """A 503 `busy` says Retry-After: 1, as the error envelope sets it."""
    refused = [a for a in storm.attempts if a.status == 503]

    waits = Counter(a.retry_after for a in refused)

    assert refused
    assert waits == {"1": len(refused)}, waits


def test_every_201_has_exactly_its_rows_and_nothing_is_half_written(storm: Storm) -> None:
    """Every 201 names the course and booking stored for its slot; nothing else was stored."""
    answered = {a.slot: a for a in storm.attempts}

    stored = storm.stored.by_slot()

    storm.stored.assert_whole()
    for attempt in storm.attempts:
        if attempt.status == 201:
            course = attempt.answer["course"]
            assert attempt.slot in stored
            assert course["id"] == str(stored[attempt.slot][0])
            assert [b["id"] for b in course["bookings"]] == [str(stored[attempt.slot][1])]
    # Only a connection that broke during COMMIT may have saved a course
    # without its 201, and its 503 must say the outcome is unknown.
    for slot in stored:
        if answered[slot].status != 201:
            assert OUTCOME_UNKNOWN in answered[slot].answer["message"]


def test_bookings_succeed_again_once_the_database_is_back_without_restarting_the_service(
    storm: Storm,
) -> None:
    """Bookings went through before the restart, and every one sent after it went through."""
    before = [a for a in storm.attempts if a.sent_at < storm.stopped_at]
    after = [a for a in storm.attempts if a.sent_at >= storm.back_at]

    assert Counter(a.status for a in before)[201] >= WARM
    assert len(after) >= WARM
    assert Counter(a.status for a in after) == {201: len(after)}


def test_retrying_a_failed_request_under_its_key_gives_exactly_one_booking(storm: Storm) -> None:
    """Each refused request, sent again under its key, books once or replays the saved 201."""
    failed = [a for a in storm.attempts if a.status != 201]
    saved_anyway = set(storm.stored.by_slot())

    def retry(attempt: Attempt) -> Attempt:
        with httpx.Client(base_url=storm.url, timeout=20) as http:
            return send(http, attempt.again())

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        retries = list(pool.map(retry, failed))

    assert failed
    assert Counter(r.status for r in retries) == {201: len(retries)}
    assert all(r.replayed == (r.slot in saved_anyway) for r in retries)
    after = Stored.read(storm.engine)
    after.assert_whole()
    final = {a.slot: a for a in [*storm.attempts, *retries] if a.status == 201}
    stored = after.by_slot()
    assert set(stored) == set(final)
    assert all(str(stored[slot][0]) == a.answer["course"]["id"] for slot, a in final.items())
