"""Schema migrations with Alembic; the scripts ship inside the package."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config that migrates the given engine's database."""
    config = alembic_config_without_engine()
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to a revision (the newest by default)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def next_revision() -> str:
    """Return the number after the newest revision's: revisions are numbered 0001, 0002, ..."""
    heads = ScriptDirectory.from_config(alembic_config_without_engine()).get_heads()
    return f"{max(int(head) for head in heads) + 1:04d}"


def alembic_config_without_engine() -> Config:
    """Return an Alembic config that reads the scripts only."""
    config = Config()
    config.set_main_option("script_location", "service:migrations")
    return config


def revision(engine: Engine, message: str, folder: Path | None = None) -> Path:
    """Write the next migration script from the difference between the models and the
    database, which must be at the newest revision; return the script's path.

    The script goes to ``service/migrations/versions/`` unless ``folder`` is given.
    """
    config = alembic_config(engine)
    if folder is not None:
        versions = Path(__file__).parent / "migrations" / "versions"
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join((str(versions), str(folder))))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        made = command.revision(
            config,
            message=message,
            autogenerate=True,
            rev_id=next_revision(),
            version_path=None if folder is None else str(folder),
        )
    assert isinstance(made, Script)
    return Path(made.path)
