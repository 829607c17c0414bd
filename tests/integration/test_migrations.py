"""Alembic's migrations and the models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from service.db import engine_of
from service.models import Base


def test_the_migrated_schema_matches_the_models(app: Flask) -> None:
    """Autogenerate finds no difference between the migrated database and the models."""
    engine = engine_of(app)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []
