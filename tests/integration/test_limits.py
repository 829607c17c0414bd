"""Rate limits keyed on a daily-rotating keyed hash of the address, never the address (SPEC P3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from flask import Flask

import crypto
from service import create_app
from service.db import engine_of
from service.limits import limiter
from tests.conftest import app_config
from tests.support import databases
from tests.support.pages import Citizen
from tests.support.processes import free_port

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
    url = databases.redis_url()
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


@pytest.fixture
def token_app(database_url: str) -> Iterator[Flask]:
    """Yield an app whose token routes allow three tries per token and many per client."""
    app = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_TOKEN="100 per minute",
            RATELIMIT_TOKEN_DIGEST="3 per minute",
        )
    )
    yield app
    engine_of(app).dispose()


def test_one_token_is_limited_whichever_client_sends_it(token_app: Flask) -> None:
    """Three tries of one code from three addresses: the fourth, from a fourth, gets 429.

    Another code from the same address is still answered: the key is the code's digest.
    """
    client = token_app.test_client()
    guessed, other = crypto.generate_token(), crypto.generate_token()

    answers = [
        client.get(
            "/api/v1/me",
            headers={"Authorization": f"Bearer {guessed}"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n in range(4)
    ]
    fresh = client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"})

    assert answers == [401, 401, 401, 429]
    assert fresh.status_code == 401


@pytest.fixture
def storage_down_app(database_url: str) -> Iterator[Flask]:
    """Yield an app whose limiter storage is a Redis that does not answer."""
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = _limited_app(database_url, closed)
    yield app
    engine_of(app).dispose()


def test_without_the_limiter_storage_token_entry_fails_closed_and_the_rest_stays_up(
    storage_down_app: Flask,
) -> None:
    """Code entry, the API's token routes and staff sign-in answer 503; other pages answer."""
    client = storage_down_app.test_client()

    landing = client.get("/", base_url="https://localhost")
    municipalities = client.get("/api/v1/municipalities")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {crypto.generate_token()}"})
    csrf = Citizen(client).get("/code").csrf()
    code = Citizen(client).post("/code", {"code": crypto.generate_token()}, csrf=csrf)
    login = Citizen(client).post("/staff/login", {"username": "x", "password": "y"}, csrf=csrf)

    assert (landing.status_code, municipalities.status_code) == (200, 200)
    assert me.status_code == 503
    assert me.get_json()["code"] == "unavailable"
    assert (code.status, login.status) == (503, 503)
