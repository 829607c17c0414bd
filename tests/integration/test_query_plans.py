"""What a citizen's requests ask of ``bookings`` is answered from an index in every plan.

psycopg prepares a statement on its fifth execution on a connection, and
PostgreSQL may then keep one generic plan for it, made without the values
of its parameters. A condition that only the values make fit a partial
index (``status IN (%s, ...)``) then fits none, and without an index of
its own the plan reads all of ``bookings``: at ten years of national data
a million rows a request. These tests record the statements the requests
send, plan each as a generic plan with sequential scans priced out, and
look for a scan of all of ``bookings``, which such a plan keeps only where
no index fits.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, event

from tests.support.calls import bearer, start_course
from tests.support.world import World

_NAMED = re.compile(r"%\((\w+)\)s")
_TYPES: dict[type, str] = {
    uuid.UUID: "uuid",
    bytes: "bytea",
    datetime.datetime: "timestamptz",
    datetime.date: "date",
    bool: "boolean",
    int: "bigint",
}
Sent = tuple[str, dict[str, Any]]


@pytest.fixture(scope="module")
def database_url(postgres_url: str) -> str:
    """Run this module's app on PostgreSQL alone: the plans are PostgreSQL's."""
    return postgres_url


@pytest.fixture
def sent(engine: Engine) -> Iterator[list[Sent]]:
    """Yield the statements that read or write ``bookings``, with their parameters."""
    recorded: list[Sent] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "bookings" in statement and isinstance(parameters, dict):
            recorded.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield recorded
    event.remove(engine, "before_cursor_execute", record)


def _generic_plan(connection: Connection, statement: str, parameters: dict[str, Any]) -> str:
    """Return PostgreSQL's generic plan for a statement as psycopg sends it."""
    names = list(dict.fromkeys(_NAMED.findall(statement)))
    numbered = _NAMED.sub(lambda match: f"${names.index(match[1]) + 1}", statement)
    # A type for each parameter where its value says it; "unknown" lets the
    # statement's context decide, as it does for text and NULL.
    types = ", ".join(_TYPES.get(type(parameters[name]), "unknown") for name in names)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE planned ({types}) AS {numbered.replace('%%', '%')}")
        nulls = ", ".join(["NULL"] * len(names))
        cursor.execute(f"EXPLAIN EXECUTE planned ({nulls})")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE planned")
    return plan


def test_booking_reads_bookings_through_an_index_in_every_plan(
    client: FlaskClient, world: World, engine: Engine, sent: list[Sent]
) -> None:
    """A new course, the citizen's own page, and the free times and groups of a centre."""
    token, _ = start_course(client, world)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    centre = world.centre_a
    assert client.get(f"/api/v1/centres/{centre}/slots?kind=intro").status_code == 200
    assert client.get(f"/api/v1/centres/{centre}/groups").status_code == 200
    reads = [(statement, values) for statement, values in sent if "FROM bookings" in statement]
    assert len(reads) >= 4

    with engine.connect() as connection:
        plans = {
            statement: _generic_plan(connection, statement, values) for statement, values in reads
        }

    scanned = [statement for statement, plan in plans.items() if "Seq Scan on bookings" in plan]
    assert scanned == []
