"""/healthz: the process answers. /readyz: its database and Redis do, or it names what failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from service import create_app
from service.db import engine_of
from tests.conftest import app_config
from tests.support import databases
from tests.support.processes import free_port

# A password that must never reach an answer or a log line.
PASSWORD = "probe-password-not-for-production"


def _app(database_url: str, **overrides: object) -> Iterator[Flask]:
    app = create_app(app_config(database_url, **overrides))
    yield app
    engine_of(app).dispose()


@pytest.fixture
def no_database() -> Iterator[Flask]:
    """Yield an app whose PostgreSQL URL points at a closed port."""
    url = f"postgresql://diskret:{PASSWORD}@127.0.0.1:{free_port()}/diskret"
    yield from _app(url)


@pytest.fixture
def no_redis(database_url: str) -> Iterator[Flask]:
    """Yield an app with a working database whose Redis URL points at a closed port."""
    yield from _app(database_url, REDIS_URL=f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")


@pytest.fixture
def with_redis(database_url: str) -> Iterator[Flask]:
    """Yield an app with a working database and the test Redis for its rate limits."""
    redis_url = databases.redis_url()
    yield from _app(database_url, REDIS_URL=redis_url)


@pytest.fixture
def limited(database_url: str) -> Iterator[Flask]:
    """Yield an app that allows any route two requests a minute unless it is exempt."""
    yield from _app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_DEFAULT="2 per minute",
    )


def test_healthz_answers_ok_without_asking_the_database(no_database: Flask) -> None:
    """The process is alive even when the database is not: 200 {"status": "ok"}."""

    response = no_database.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_answers_ok_when_the_database_does(app: Flask) -> None:
    """With the database reachable and counters in memory, readiness checks the database only."""

    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_checks_redis_where_the_limits_are_counted(with_redis: Flask) -> None:
    """With rate limits counted in Redis, readiness asks Redis too."""

    response = with_redis.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_naming_the_database_when_it_is_closed(
    no_database: Flask, captured_logs: pytest.LogCaptureFixture
) -> None:
    """An unreachable database makes readiness 503, naming it without its URL or password."""

    response = no_database.test_client().get("/readyz")

    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "failed"}}
    assert PASSWORD not in body
    assert PASSWORD not in captured_logs.text
    assert "127.0.0.1" not in captured_logs.text


def test_readyz_is_503_naming_redis_when_it_is_closed(
    no_redis: Flask, captured_logs: pytest.LogCaptureFixture
) -> None:
    """An unreachable Redis makes readiness 503, naming it alone, without its URL or password."""

    response = no_redis.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "failed"}
    assert PASSWORD not in response.get_data(as_text=True)
    assert PASSWORD not in captured_logs.text


def test_probes_are_exempt_from_rate_limits(limited: Flask) -> None:
    """Under a default limit of two a minute, the probes keep answering while an API route 429s."""
    client = limited.test_client()

    probes = [client.get(path).status_code for path in ("/healthz", "/readyz") * 3]
    other = [client.get("/api/v1/municipalities").status_code for _ in range(3)]

    assert probes == [200] * 6
    assert other == [200, 200, 429]
