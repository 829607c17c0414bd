"""A PostgreSQL database per module for the tests that run app processes against it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.db import make_engine
from tests.support import databases, seeding


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """Yield a migrated PostgreSQL database of the module's own."""
    admin = databases.require_service(databases.POSTGRES_ENV, "PostgreSQL")
    with seeding.scratch_database(admin) as url:
        databases.migrated_engine(url).dispose()
        yield url


@pytest.fixture
def pg_session(postgres_url: str) -> Iterator[Session]:
    """Yield a session on the module's database, emptied after the test."""
    engine = make_engine(postgres_url)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        yield session
    databases.empty_all_tables(engine)
    engine.dispose()
