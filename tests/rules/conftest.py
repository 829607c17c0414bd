"""Fixtures of the rule tests: a session rolled back after each test, no Flask app.

The session joins an outer transaction on one connection and turns its own
commits into savepoints (SQLAlchemy's "joining a session into an external
transaction" recipe, as Warehouse's tests do), so whatever a rule writes is
gone after the test, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import crypto
from service.db import make_engine
from service.identity.actors import Actor
from service.models import AuditEvent, Course, Municipality
from tests.support import databases
from tests.support.world import World, build_world

# Rows that every test's world or rule writes: municipalities, courses, audit events.
_LEFT_BEHIND = select(
    select(func.count()).select_from(Municipality).scalar_subquery(),
    select(func.count()).select_from(Course).scalar_subquery(),
    select(func.count()).select_from(AuditEvent).scalar_subquery(),
)


@pytest.fixture(scope="session")
def rules_engine(database_url: str) -> Iterator[Engine]:
    """Yield an engine on the migrated test database, SQLite or PostgreSQL."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(rules_engine: Engine) -> Iterator[Session]:
    """Yield a session inside a transaction that is rolled back after the test."""
    with rules_engine.connect() as connection:
        outer = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()
        # A rule that wrote through a connection of its own would escape the
        # rollback and leak into the next test: the database must be as empty
        # as it was.
        left = connection.execute(_LEFT_BEHIND).one()
        connection.rollback()
        assert tuple(left) == (0, 0, 0), f"rows left after the rollback: {tuple(left)}"


@pytest.fixture
def world(session: Session, keyring: crypto.Keyring, now: datetime) -> World:
    """Return the standard world, written in the test's transaction only."""
    return build_world(session, keyring, now=now)


@pytest.fixture
def staff_a(world: World) -> Actor:
    """Return a staff member of centre A."""
    return Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_a)


@pytest.fixture
def committed_world(
    rules_engine: Engine, keyring: crypto.Keyring, now: datetime
) -> Iterator[World]:
    """Yield the standard world committed for racing sessions, and empty every table after."""
    with Session(rules_engine, expire_on_commit=False) as session:
        world = build_world(session, keyring, now=now)
        session.commit()
    try:
        yield world
    finally:
        databases.empty_all_tables(rules_engine)
