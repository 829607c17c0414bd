"""What a citizen's requests ask of ``bookings`` is answered from an index in every plan.

psycopg prepares a statement once a connection has run it five times,
and five runs later PostgreSQL may keep one generic plan for it, made
without the values of its parameters. A condition that only the values make fit a partial
index (``status IN (%s, ...)``) then fits none, and without an index of
its own the plan reads all of ``bookings``: at ten years of national data
a million rows a request. These tests record the statements the requests
send, plan each as a generic plan with sequential scans priced out, and
look for a read of ``bookings`` that is not a lookup by course, slot or
group: a sequential scan, or an index read whole.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, text

from tests.support.calls import bearer, start_course
from tests.support.sql import Sent, sent_to
from tests.support.world import World

_NAMED = re.compile(r"%\((\w+)\)s")
# An index condition that looks one course's, slot's or group's bookings up.
_LOOKUP = re.compile(r"\((course_id|slot_id|group_id|id) = ")
_TYPES: dict[type, str] = {
    uuid.UUID: "uuid",
    bytes: "bytea",
    datetime.datetime: "timestamptz",
    datetime.date: "date",
    bool: "boolean",
    int: "bigint",
}


@pytest.fixture(scope="module")
def database_url(postgres_url: str) -> str:
    """Run this module's app on PostgreSQL alone: the plans are PostgreSQL's."""
    return postgres_url


@pytest.fixture
def sent(engine: Engine) -> Iterator[list[Sent]]:
    """Yield what the app sends to the database from now on, with its parameters."""
    with sent_to(engine) as sent:
        yield sent


def _generic_plan(
    connection: Connection, statement: str, parameters: dict[str, Any]
) -> dict[str, Any]:
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
        cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE planned ({nulls})")
        row = cursor.fetchone()
        assert row is not None
        plan: dict[str, Any] = row[0][0]["Plan"]
        cursor.execute("DEALLOCATE planned")
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _whole_reads(plan: dict[str, Any], indexes: set[str]) -> list[str]:
    """Name each read of ``bookings`` that is not a lookup by one of its keys."""
    return [
        f"{node['Node Type']} {node.get('Index Name', '')}".strip()
        for node in _nodes(plan)
        if (node.get("Relation Name") == "bookings" and node["Node Type"] == "Seq Scan")
        or (node.get("Index Name") in indexes and not _LOOKUP.search(node.get("Index Cond", "")))
    ]


def test_booking_reads_bookings_through_an_index_in_every_plan(
    client: FlaskClient, world: World, engine: Engine, sent: list[Sent]
) -> None:
    """A new course, the citizen's own page, and the free times and groups of a centre."""
    token, _ = start_course(client, world)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    centre = world.centre_a
    assert client.get(f"/api/v1/centres/{centre}/slots?kind=intro").status_code == 200
    assert client.get(f"/api/v1/centres/{centre}/groups").status_code == 200
    reads = [
        (statement, values)
        for statement, values in sent
        if re.search(r"\b(FROM|JOIN) bookings\b", statement) and isinstance(values, dict)
    ]
    assert len(reads) >= 4

    with engine.connect() as connection:
        indexes = set(
            connection.scalars(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'bookings'")
            )
        )
        whole = {
            statement: _whole_reads(_generic_plan(connection, statement, values), indexes)
            for statement, values in reads
        }

    assert {statement: found for statement, found in whole.items() if found} == {}
