"""The ``diskret`` command without settings, and against a demo's folder with ``--instance``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service import create_app, db, demo, migrate
from service.cli import cli
from service.core.clock import utcnow
from service.demo_commands import demo_environment
from service.http.keyring import keyring
from service.models import ApiKey

# `demo` makes its own settings in its folder; it is the one command that needs none.
NEEDS_NO_SETTINGS = {("demo",)}


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


def _leaf(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def _value(parameter: click.Parameter) -> str:
    """A well-formed value for a required parameter, so that only the settings are missing."""
    kind = parameter.type
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if kind is click.UUID:
        return str(uuid.uuid4())
    if isinstance(kind, click.DateTime):
        return "2030-01-01"
    if isinstance(kind, click.IntRange | click.types.IntParamType):
        return "1"
    return "101"


def _arguments(command: click.Command) -> list[str]:
    arguments: list[str] = []
    for parameter in command.params:
        if not parameter.required:
            continue
        if isinstance(parameter, click.Option):
            arguments += [parameter.opts[0], _value(parameter)]
        else:
            arguments.append(_value(parameter))
    return arguments


def _without_settings() -> CliRunner:
    return CliRunner(env={name: None for name in os.environ if name.startswith("DISKRET_")})


COMMANDS = [path for path in _commands(cli) if path not in NEEDS_NO_SETTINGS]


def test_the_walk_finds_every_command() -> None:
    """The list below is the command line's own: a new command joins it by itself."""
    assert ("create-api-key",) in COMMANDS
    assert ("keys", "retire") in COMMANDS
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_without_settings_prints_one_line_and_exits_2(path: tuple[str, ...]) -> None:
    """No traceback: one line naming what is missing and how to give it."""
    result = _without_settings().invoke(cli, [*path, *_arguments(_leaf(path))])

    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: missing configuration: DISKRET_SECRET_KEY")
    assert "--instance" in lines[0]


@pytest.mark.parametrize("path", [(), *COMMANDS, ("demo",)], ids=lambda p: " ".join(p) or "diskret")
def test_help_works_without_settings(path: tuple[str, ...]) -> None:
    """Every command's help, and the command list, need no settings."""
    result = _without_settings().invoke(cli, [*path, "--help"])

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("Usage: diskret")


def test_an_unknown_folder_is_one_line_and_exits_2(tmp_path: Path) -> None:
    """--instance with a folder that holds no demo says so, and changes nothing."""
    result = _without_settings().invoke(cli, ["--instance", str(tmp_path), "list-api-keys"])

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: no demo database in {tmp_path}: run `diskret demo` there first."
    ]
    assert list(tmp_path.iterdir()) == []


def test_create_api_key_against_the_demos_folder(tmp_path: Path) -> None:
    """The README's key step works against the demo with no secret copied by hand."""
    instance = tmp_path / "instance"
    demo_app = create_app(demo_environment(instance))
    migrate.upgrade(db.engine_of(demo_app))
    with demo_app.app_context():
        demo.seed(db.session(), keyring(), now=utcnow())
        db.session().commit()
    runner = _without_settings()

    made = runner.invoke(
        cli, ["--instance", str(instance), "create-api-key", "statistik", "--scope", "stats:read"]
    )
    listed = runner.invoke(cli, ["--instance", str(instance), "list-api-keys"])

    assert made.exit_code == 0, made.output
    with demo_app.app_context():
        names = db.session().scalars(select(ApiKey.name)).all()
    db.engine_of(demo_app).dispose()
    assert names == ["statistik"]
    assert "'statistik'  stats:read  national" in listed.output
