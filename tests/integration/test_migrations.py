"""Alembic's migrations and the models describe the same schema."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, select, text

from service import migrate
from service.db import engine_of, make_engine
from service.models import Base, IdempotentAnswer
from tests.support.databases import sqlite_url

VERSIONS = Path(migrate.__file__).parent / "migrations" / "versions"


def test_the_migrated_schema_matches_the_models(app: Flask) -> None:
    """Autogenerate finds no difference between the migrated database and the models."""
    engine = engine_of(app)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_a_new_revision_takes_the_next_number_and_finds_no_difference(
    app: Flask, tmp_path: Path
) -> None:
    """`diskret db revision` numbers the script after the newest one; models and schema agree."""
    engine = engine_of(app)
    newest = max(path.name[:4] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))

    path = migrate.revision(engine, "a change", folder=tmp_path)

    number = f"{int(newest) + 1:04d}"
    assert path == tmp_path / f"{number}_a_change.py"
    script = path.read_text(encoding="utf-8")
    assert f"revision = '{number}'" in script
    assert f"down_revision = '{newest}'" in script
    assert "op." not in script


def test_the_minute_revision_cuts_the_seconds_off_rows_already_kept(tmp_path: Path) -> None:
    """A request time stored with seconds before revision 0014 has none after it."""
    engine = make_engine(sqlite_url(tmp_path))
    migrate.upgrade(engine, "0013")
    with engine.begin() as connection:
        # Written as the service wrote it before: with its seconds and fraction.
        connection.execute(
            text(
                "INSERT INTO idempotent_answers (id, key_digest, key_version, fingerprint,"
                " status_code, sealed_body, created_at) VALUES (:id, :digest, 1, :digest, 201,"
                " :digest, :sent)"
            ),
            {"id": uuid.uuid4().hex, "digest": b"k" * 32, "sent": "2026-03-29 00:59:59.999999"},
        )

    migrate.upgrade(engine)

    with engine.connect() as connection:
        kept = connection.scalar(select(IdempotentAnswer.created_at))
    engine.dispose()
    assert kept == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)


def test_the_statistics_store_revision_goes_down_and_up_again(tmp_path: Path) -> None:
    """Revision 0015 replaces the four kept tables by the published store, and back."""
    engine = make_engine(sqlite_url(tmp_path))
    migrate.upgrade(engine)
    config = migrate.alembic_config(engine)

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0014")
    before = set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    after = set(inspect(engine).get_table_names())

    kept = {"stats_answers", "stats_parts", "stats_months", "suppression_marks"}
    assert kept <= before
    assert "stats_published" not in before
    assert not kept & after
    assert "stats_published" in after
