"""Shared fixtures: keys, databases on SQLite and PostgreSQL, the app and a small world."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service import create_app
from service.db import engine_of, for_reading
from tests.support import databases, ics, seeding
from tests.support.world import World, build_world

pytest_plugins = ["pytester", "tests.support.logscan"]

settings.register_profile("ci", max_examples=200, deadline=None)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if databases.in_ci() else "dev")

# Test-only key material: all-zero-looking keys would hide mistakes, so these are
# fixed random values that exist nowhere but in this file.
TEST_TOKEN_KEY = "1:6b0f3c1e9a4d2f8877c5e1a0b3d4f6a8c9e2b1d0f4a6c8e7b5d3f1a2c4e6b8d0"
ROTATED_TOKEN_KEY = (
    TEST_TOKEN_KEY + ",2:f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0a"
)


@pytest.fixture(scope="session")
def keyring() -> crypto.Keyring:
    """Return the tests' keyring."""
    return crypto.Keyring.parse(TEST_TOKEN_KEY)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Yield the URL of a migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = databases.sqlite_url(tmp_path_factory.mktemp("sqlite"))
        databases.migrated_engine(url).dispose()
        yield url
        return
    admin = databases.require_service(databases.POSTGRES_ENV, "PostgreSQL")
    with seeding.scratch_database(admin) as url:
        databases.migrated_engine(url).dispose()
        yield url


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """Yield an app on a database emptied after the test."""
    app = create_app(app_config(database_url))
    ics.check_served(app)
    yield app
    engine = engine_of(app)
    databases.empty_all_tables(engine)
    engine.dispose()


def app_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """Return the configuration of a test app."""
    return {
        "ENVIRONMENT": "testing",
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-only-secret-key-not-for-production-use",
        "TOKEN_KEY": TEST_TOKEN_KEY,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_PROFILE": "test",
        # Most staff tests are about other pages: they sign in with a password
        # alone. tests/integration/test_staff_two_factor.py sets the real default.
        "STAFF_TOTP_ROLES": "",
        **overrides,
    }


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def engine(app: Flask) -> Engine:
    """Return the app's engine."""
    return engine_of(app)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Yield a session of its own, outside any request."""
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        yield session


@pytest.fixture
def reader(engine: Engine) -> Iterator[Session]:
    """Yield a session that only reads, so it never holds SQLite's write lock."""
    with sessionmaker(bind=for_reading(engine), expire_on_commit=False)() as session:
        yield session


@pytest.fixture
def now() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)


@pytest.fixture
def world(session: Session, keyring: crypto.Keyring, now: datetime) -> World:
    """Return a small committed world: municipalities, centres, contracts, slots, groups, keys."""
    world = build_world(session, keyring, now=now)
    session.commit()
    return world


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every log record, at every level, for scans of what was logged."""
    caplog.set_level(logging.DEBUG)
    return caplog
