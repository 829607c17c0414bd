"""Webhook registration and delivery from the queue, with retries and backoff.

Deliveries were queued in the transactions of the events (``booking.events``);
a worker claims due ones with a short lease, posts them outside any database
transaction, and records the result. A receiver's 410 Gone switches its hook
off for good. Several workers may run at once: claims skip rows another
worker holds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import crypto
from service.booking.events import EVENTS
from service.core.clock import utcnow
from service.core.errors import InvalidInput
from service.core.text import refuse_personal_data
from service.models import Delivery, DeliveryStatus, Webhook

SECRET_PURPOSE = "webhook-secret"  # noqa: S105 - a key-derivation label, not a secret
SIGNATURE_HEADER = "Diskret-Signature"
# Retry after 30 s, 1 min, 2 min ... at most 6 h apart, and give up after 10 tries.
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 10
# A claimed delivery is invisible to other workers this long.
LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 5.0
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_LOG = logging.getLogger(__name__)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    local = parts.hostname in _LOCAL_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise InvalidInput("A webhook URL must use https (http only on localhost).", field="url")
    return url


def create(
    session: Session,
    keyring: crypto.Keyring,
    *,
    name: str,
    url: str,
    events: Sequence[str],
    centre_id: uuid.UUID | None,
    municipality_code: str | None,
    now: datetime,
) -> tuple[Webhook, str]:
    """Register a webhook and return it with its signing secret, shown only once."""
    unknown = set(events) - set(EVENTS)
    if not events or unknown:
        raise InvalidInput("Choose events from: " + ", ".join(EVENTS), field="events")
    secret = crypto.generate_webhook_secret()
    hook = Webhook(
        id=uuid.uuid4(),
        name=refuse_personal_data(name.strip(), field="name"),
        url=_check_url(url),
        events=" ".join(sorted(set(events))),
        centre_id=centre_id,
        municipality_code=municipality_code,
        key_version=keyring.current_version,
        created_at=now,
        sealed_secret=b"",
    )
    hook.sealed_secret = crypto.seal(
        keyring.derive_key(hook.id.bytes, purpose=SECRET_PURPOSE),
        secret.encode(),
        context=hook.id.bytes,
    )
    session.add(hook)
    session.flush()
    return hook, secret


def _secret(keyring: crypto.Keyring, hook: Webhook) -> str:
    key = keyring.derive_key(hook.id.bytes, purpose=SECRET_PURPOSE, version=hook.key_version)
    return crypto.unseal(key, hook.sealed_secret, context=hook.id.bytes).decode()


@dataclass(frozen=True)
class Claim:
    """A delivery taken from the queue, with what is needed to send it."""

    id: uuid.UUID
    url: str
    secret: str
    payload: bytes


def claim_due(
    session: Session, keyring: crypto.Keyring, *, now: datetime, limit: int
) -> list[Claim]:
    """Take up to ``limit`` due deliveries, hiding them from other workers for the lease."""
    due = session.scalars(
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claims = []
    for delivery in due:
        delivery.next_attempt_at = now + LEASE
        hook = delivery.webhook
        try:
            secret = _secret(keyring, hook)
        except crypto.CryptoError:
            # Sealed under a key version the configuration lacks: the delivery
            # fails this time and is retried with backoff once the key is back.
            _LOG.warning("webhook %s: its secret cannot be unsealed; delivery retried", hook.id)
            _failed(delivery, None, now=now)
            continue
        claims.append(Claim(delivery.id, hook.url, secret, delivery.payload.encode()))
    session.commit()
    return claims


def send(claim: Claim, client: httpx.Client, *, now: datetime) -> int | None:
    """Post one signed delivery; return the receiver's status, or None if it was not reached."""
    signature = crypto.sign_webhook(
        claim.secret, timestamp=int(now.timestamp()), body=claim.payload
    )
    try:
        response = client.post(
            claim.url,
            content=claim.payload,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError:
        return None
    return response.status_code


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try after ``attempts`` failed ones."""
    wait: timedelta = FIRST_RETRY * 2 ** (attempts - 1)
    return min(wait, LONGEST_WAIT)


def record(session: Session, delivery_id: uuid.UUID, status: int | None, *, now: datetime) -> None:
    """Record one attempt: delivered, retried later, given up, or the hook switched off on 410."""
    delivery = session.get_one(Delivery, delivery_id)
    if status is not None and 200 <= status < 300:
        delivery.attempts += 1
        delivery.last_status = status
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
    elif status == 410:
        delivery.attempts += 1
        delivery.last_status = status
        hook = delivery.webhook
        hook.active, hook.disabled_at = False, now
        session.execute(
            update(Delivery)
            .where(Delivery.webhook_id == hook.id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.DISABLED)
        )
        delivery.status = DeliveryStatus.DISABLED
    else:
        _failed(delivery, status, now=now)
    session.commit()


def _failed(delivery: Delivery, status: int | None, *, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_status = status
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)


def run_once(
    sessions: Callable[[], Session],
    keyring: crypto.Keyring,
    client: httpx.Client,
    *,
    limit: int = 50,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """Deliver what is due now; return how many deliveries were attempted."""
    with sessions() as session:
        claims = claim_due(session, keyring, now=clock(), limit=limit)
    for claim in claims:
        status = send(claim, client, now=clock())
        with sessions() as session:
            record(session, claim.id, status, now=clock())
    return len(claims)
