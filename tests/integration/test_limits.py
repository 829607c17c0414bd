"""Rate limits keyed on a daily-rotating keyed hash of the address, never the address (SPEC P3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from service import create_app
from service.db import engine_of
from service.limits import limiter
from tests.conftest import app_config
from tests.support import databases

CLIENT_ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737): documentation only.


def _limited_app(database_url: str, storage: str) -> Flask:
    return create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=storage,
            RATELIMIT_COURSE_CREATE="2 per minute",
        )
    )


@pytest.fixture
def memory_app(database_url: str) -> Iterator[Flask]:
    """Yield an app whose limiter keeps its counters in memory."""
    app = _limited_app(database_url, "memory://")
    yield app
    engine_of(app).dispose()


@pytest.fixture
def redis_app(database_url: str) -> Iterator[tuple[Flask, redis.Redis]]:
    """Yield an app whose limiter keeps its counters in Redis, and a client of that Redis."""
    url = databases.require_service(databases.REDIS_ENV, "Redis")
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    app = _limited_app(database_url, url)
    yield app, connection
    connection.flushdb()
    connection.close()
    engine_of(app).dispose()


def _exhaust(app: Flask) -> list[int]:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    return [client.post("/api/v1/courses", json={}).status_code for _ in range(3)]


def test_course_creation_is_limited_with_the_envelope_and_retry_after(memory_app: Flask) -> None:
    """The third request in a minute gets 429 with a Retry-After header."""
    client = memory_app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    for _ in range(2):
        client.post("/api/v1/courses", json={})

    response = client.post("/api/v1/courses", json={})

    assert response.status_code == 429
    assert response.get_json()["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_memory_counters_hold_no_address(memory_app: Flask) -> None:
    """The in-memory limiter's keys are hashes: the client address appears in none."""

    statuses = _exhaust(memory_app)

    keys = list(limiter.storage.storage.keys())  # type: ignore[attr-defined]
    assert statuses[-1] == 429
    assert keys
    assert not any(CLIENT_ADDRESS in str(key) for key in keys)


def test_redis_counters_hold_no_address(redis_app: tuple[Flask, redis.Redis]) -> None:
    """Counters shared through Redis hold hashes only, never the client address."""
    app, connection = redis_app

    statuses = _exhaust(app)

    keys = [key.decode() for key in connection.scan_iter("*")]
    assert statuses[-1] == 429
    assert keys
    assert not any(CLIENT_ADDRESS in key for key in keys)
