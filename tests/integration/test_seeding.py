"""One seeding helper for the tests and bench/: the scratch database and the bulk slots."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.booking.directory import load_municipalities
from tests.support import databases
from tests.support.seeding import add_intro_slots, scratch_database
from tests.support.world import HOME, add_centre

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "tests" / "support" / "seeding.py"


def _makes_databases_or_bulk_slots(path: Path) -> bool:
    """Tell whether a module creates a database or inserts slots in bulk itself."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "CREATE DATABASE" in node.value.upper():
                return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            named = [arg.id for arg in node.args if isinstance(arg, ast.Name)]
            if node.func.id == "insert" and named == ["Slot"]:
                return True
    return False


def test_only_the_shared_helper_makes_scratch_databases_or_bulk_slots() -> None:
    """No module of bench/ or tests/ but tests/support/seeding.py has its own copy of either."""
    scanned = [
        path
        for folder in ("bench", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in (SHARED, Path(__file__).resolve())
    ]

    copies = [
        str(path.relative_to(ROOT)) for path in scanned if _makes_databases_or_bulk_slots(path)
    ]

    assert copies == []
    assert _makes_databases_or_bulk_slots(SHARED)


def test_bulk_intro_slots_are_listed_free_15_minutes_apart(
    client: FlaskClient, session: Session, now: datetime
) -> None:
    """Slots added in bulk are the centre's free intro times, one every 15 minutes."""
    load_municipalities(session)
    centre = add_centre(session, HOME, "Centre S", now)
    first = (now + timedelta(days=2)).replace(second=0, microsecond=0)
    ids = add_intro_slots(session, centre.id, 3, first=first, now=now)
    session.commit()

    listed = client.get(f"/api/v1/centres/{centre.id}/slots?kind=intro").get_json()

    assert [slot["id"] for slot in listed] == [str(slot) for slot in ids]
    starts = [datetime.fromisoformat(slot["starts_at"]) for slot in listed]
    assert starts == [first + timedelta(minutes=15 * n) for n in range(3)]


@pytest.mark.postgres
def test_a_scratch_database_is_empty_and_dropped_afterwards() -> None:
    """The scratch database answers while in use and is gone once the block ends."""
    admin = databases.require_service(databases.POSTGRES_ENV, "PostgreSQL")

    with scratch_database(admin, prefix="diskret_seeding") as url:
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        with engine.connect() as connection:
            tables = connection.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
        engine.dispose()
    name = make_url(url).database
    admin_engine = create_engine(make_url(admin).set(drivername="postgresql+psycopg"))
    with admin_engine.connect() as connection:
        left = connection.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
        )
    admin_engine.dispose()

    assert name is not None
    assert name.startswith("diskret_seeding_")
    assert tables == 0
    assert left == 0
