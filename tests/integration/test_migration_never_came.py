"""Revision 0017: the status never_came, and the published statistics written again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import inspect, select, text

from service import migrate
from service.db import make_engine
from service.models import StatsPublished
from tests.support.databases import sqlite_url


def test_the_never_came_revision_goes_down_and_up_again(tmp_path: Path) -> None:
    """Up: never_came allowed and the published rows gone; down: the old status list again."""
    engine = make_engine(sqlite_url(tmp_path))
    migrate.upgrade(engine, "0016")
    with engine.begin() as connection:
        connection.execute(
            StatsPublished.__table__.insert(),  # type: ignore[attr-defined]
            {
                "reach": "/",
                "view": "centre",
                "period": "month",
                "year": "2026",
                "through": "2026-11",
                "places": b"p" * 32,
                "published_at": datetime(2026, 12, 2, tzinfo=UTC),
                "body": b"",
                "csv": b"",
            },
        )

    migrate.upgrade(engine)
    up = inspect(engine).get_check_constraints("courses")
    with engine.connect() as connection:
        left = connection.execute(select(StatsPublished.reach)).all()
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0016")
    down = inspect(engine).get_check_constraints("courses")
    with engine.connect() as connection:
        length = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'courses'"))
        schema = length.scalar_one()
    engine.dispose()

    assert left == []
    assert any("'never_came'" in check["sqltext"] for check in up)
    assert not any("'never_came'" in check["sqltext"] for check in down)
    assert "status VARCHAR(9)" in schema
