"""Races of many citizens at once against app processes: approved courses, calls, a barrier."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import httpx
from sqlalchemy.orm import Session

import crypto
from service.booking.pathway import TOKEN_PURPOSE
from service.models import Course, CourseStatus
from tests.conftest import TEST_TOKEN_KEY
from tests.support.world import World

# One request: base URL, path, JSON body, headers.
Call = tuple[str, str, dict[str, Any], dict[str, str]]


def approved_tokens(session: Session, world: World, count: int) -> list[str]:
    """Commit ``count`` courses approved at centre B and return their tokens."""
    keyring = crypto.Keyring.parse(TEST_TOKEN_KEY)
    tokens = []
    for _ in range(count):
        token = crypto.generate_token()
        digest = keyring.digest(crypto.normalize_token(token), purpose=TOKEN_PURPOSE)
        session.add(
            Course(
                reference=crypto.generate_reference(),
                token_digest=digest.value,
                token_key_version=digest.version,
                centre_id=world.centre_b,
                home_municipality="101",
                status=CourseStatus.APPROVED,
                requested_at=datetime.now(UTC) - timedelta(days=3),
            )
        )
        tokens.append(token)
    session.commit()
    return tokens


def group_bookings(servers: list[str], tokens: list[str], group: uuid.UUID) -> list[Call]:
    """Spread one group booking per token over the servers, in turn."""
    return [
        (
            servers[n % len(servers)],
            "/api/v1/me/bookings",
            {"group_id": str(group)},
            {"Authorization": f"Bearer {token}"},
        )
        for n, token in enumerate(tokens)
    ]


def race(calls: list[Call]) -> list[httpx.Response]:
    """Send every call at once, each from its own thread released by one barrier."""
    barrier = Barrier(len(calls))

    def fire(call: Call) -> httpx.Response:
        url, path, body, headers = call
        with httpx.Client(base_url=url, timeout=30) as client:
            barrier.wait()
            return client.post(path, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(fire, calls))
