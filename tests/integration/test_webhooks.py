"""Webhooks: queued with the event, signed, delivered from a queue, retried, stopped by 410."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service import webhooks
from service.core.errors import InvalidInput
from service.models import Delivery, DeliveryStatus, Webhook
from tests.support.calls import approved_course, bearer
from tests.support.world import World


class Receiver:
    """A local HTTP server that records what it is sent and answers with scripted statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Yield a running local receiver."""
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory for the delivery worker."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _hook(
    session: Session, keyring: crypto.Keyring, world: World, url: str, *events: str
) -> tuple[Webhook, str]:
    hook, secret = webhooks.create(
        session,
        keyring,
        name="Kalender",
        url=url,
        events=events or ("course.approved",),
        centre_id=world.centre_a,
        municipality_code=None,
        now=datetime.now(UTC),
    )
    session.commit()
    return hook, secret


def _deliveries(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.created_at)))


def _run(
    sessions: sessionmaker[Session], keyring: crypto.Keyring, *, at: datetime | None = None
) -> int:
    clock: Callable[[], datetime] = (lambda: at) if at else (lambda: datetime.now(UTC))
    with httpx.Client() as client:
        return webhooks.run_once(sessions, keyring, client, clock=clock)


def test_an_approval_is_queued_then_delivered_signed_with_ids_only(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    receiver: Receiver,
    sessions: sessionmaker[Session],
) -> None:
    """The request only queues; the worker posts a signed body: the event, ids, the minute."""
    _, secret = _hook(session, keyring, world, receiver.url)
    approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[0])
    assert receiver.received == []

    attempted = _run(sessions, keyring)

    [(headers, body)] = receiver.received
    payload = json.loads(body)
    assert attempted == 1
    assert crypto.verify_webhook(
        secret,
        header=headers["Diskret-Signature"],
        body=body,
        now=int(datetime.now(UTC).timestamp()),
    )
    assert set(payload) == {"id", "event", "occurred_at", "data"}
    assert payload["event"] == "course.approved"
    assert set(payload["data"]) == {"course_id", "centre_id"}
    assert datetime.fromisoformat(payload["occurred_at"]).strftime("%S.%f") == "00.000000"
    assert [d.status for d in _deliveries(session)] == [DeliveryStatus.DELIVERED]


def test_a_failed_delivery_is_retried_with_backoff(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    receiver: Receiver,
    sessions: sessionmaker[Session],
) -> None:
    """A 500 leaves the delivery pending for 30 s; after that it is tried again and lands."""
    _hook(session, keyring, world, receiver.url)
    approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[0])
    receiver.statuses = [500]
    start = datetime.now(UTC)

    first = _run(sessions, keyring, at=start)
    too_soon = _run(sessions, keyring, at=start + timedelta(seconds=20))
    later = _run(sessions, keyring, at=start + timedelta(seconds=31))

    [delivery] = _deliveries(session)
    assert (first, too_soon, later) == (1, 0, 1)
    assert delivery.attempts == 2
    assert delivery.status is DeliveryStatus.DELIVERED
    assert len(receiver.received) == 2


def test_an_unreachable_receiver_counts_as_a_failed_attempt(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    receiver: Receiver,
    sessions: sessionmaker[Session],
) -> None:
    """A refused connection is recorded and the delivery waits for its next try."""
    _hook(session, keyring, world, receiver.url)
    receiver.close()
    approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[0])

    _run(sessions, keyring)

    [delivery] = _deliveries(session)
    assert (delivery.attempts, delivery.last_status) == (1, None)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.next_attempt_at > datetime.now(UTC)


def test_a_410_switches_the_hook_off(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    receiver: Receiver,
    sessions: sessionmaker[Session],
) -> None:
    """A receiver's 410 Gone disables its hook; later events are no longer queued for it."""
    hook, _ = _hook(session, keyring, world, receiver.url)
    approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[0])
    receiver.statuses = [410]

    _run(sessions, keyring)
    approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[1])

    session.expire_all()
    assert session.get_one(Webhook, hook.id).active is False
    assert [d.status for d in _deliveries(session)] == [DeliveryStatus.DISABLED]


def test_erasure_and_a_place_from_the_waitlist_are_announced(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    receiver: Receiver,
    sessions: sessionmaker[Session],
) -> None:
    """Erasing a booked citizen promotes the next one: both events reach the receiver."""
    _hook(session, keyring, world, receiver.url, "course.erased", "group.place_granted")
    now = datetime.now(UTC)
    tokens = [
        approved_course(client, world, session, now=now, slot=slot)[0] for slot in world.intro_a[:3]
    ]
    for token in tokens:
        client.post(
            "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
        )
    client.delete("/api/v1/me", headers=bearer(tokens[0]))

    _run(sessions, keyring)

    events = sorted(json.loads(body)["event"] for _, body in receiver.received)
    assert events == ["course.erased", "group.place_granted"]


def test_a_hook_must_use_https_and_known_events(
    session: Session, keyring: crypto.Keyring, world: World
) -> None:
    """Plain http off localhost, and unknown events, are refused."""

    with pytest.raises(InvalidInput):
        _hook(session, keyring, world, "http://example.invalid/hook")
    with pytest.raises(InvalidInput):
        _hook(session, keyring, world, "https://example.invalid/hook", "course.viewed")
