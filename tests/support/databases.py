"""Throwaway databases for the tests: a SQLite file, and a fresh PostgreSQL database per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from service import migrate
from service.db import make_engine
from service.models import Base

POSTGRES_ENV = "DISKRET_TEST_POSTGRES_URL"
REDIS_ENV = "DISKRET_TEST_REDIS_URL"


def in_ci() -> bool:
    """Tell whether the suite runs in CI, where a missing service is a failure."""
    return os.environ.get("CI", "").lower() == "true"


def require_service(variable: str, what: str) -> str:
    """Return a service URL from the environment; skip without it on a laptop, fail in CI."""
    url = os.environ.get(variable)
    if url:
        return url
    if in_ci():
        pytest.fail(f"{what} is required in CI: set {variable}")
    pytest.skip(f"{what} not configured ({variable})")


def redis_url() -> str:
    """Return the Redis URL for this test process: a database of its own per xdist worker.

    Tests empty their Redis database; two workers sharing one would empty
    each other's counters. Worker ``gwN`` takes the configured database
    number minus N.
    """
    url = make_url(require_service(REDIS_ENV, "Redis"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base = int(url.database or 0)
    number = base - int(worker.removeprefix("gw"))
    if number < 0:
        pytest.fail(f"Redis database {base} leaves no database for xdist worker {worker}")
    return url.set(database=str(number)).render_as_string(hide_password=False)


def sqlite_url(folder: Path) -> str:
    """Return the URL of a SQLite file in a folder."""
    return f"sqlite:///{folder / 'diskret.sqlite3'}"


def migrated_engine(url: str) -> Engine:
    """Return an engine whose database has been brought to the newest schema by Alembic."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def empty_all_tables(engine: Engine) -> None:
    """Delete every row, children first, so the next test starts from nothing."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
