"""The ``diskret`` command: every operator task, wrapping the Flask CLI (SPEC section 6)."""

from __future__ import annotations

import time
import uuid
from functools import partial
from pathlib import Path

import click
import httpx
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo

from service import create_app, db, demo, demo_commands, installation, migrate, ops, webhooks
from service.booking.events import EVENTS
from service.config import ConfigError
from service.contract_commands import centres_group, contracts_group
from service.core.clock import utcnow
from service.core.errors import DomainError
from service.demo_commands import demo_environment
from service.http.keyring import keyring
from service.identity import keys
from service.identity.actors import SYSTEM
from service.key_commands import keys_group, refuse_missing_keys
from service.serve import CannotListen, serve

SCOPES = keys.SCOPES


class SettingsMissing(click.ClickException):
    """The settings a command needs are missing or not valid: one line, exit status 2."""

    exit_code = 2


def app_from_settings() -> Flask:
    """Build the app from the ``DISKRET_`` settings, or stop with a one-line error and status 2."""
    try:
        return create_app()
    except ConfigError as error:
        hint = ""
        if str(error).startswith("missing configuration"):
            hint = (
                ". Set the DISKRET_ variables (see the README), or give --instance a demo's folder."
            )
        raise SettingsMissing(f"{error}{hint}") from None


def app_from_instance(folder: Path) -> Flask:
    """Build the app from a demo's folder: its database and its generated secrets."""
    if not (folder / "diskret.sqlite3").is_file():
        raise SettingsMissing(f"no demo database in {folder}: run `diskret demo` there first.")
    return create_app(demo_environment(folder.resolve()))


def _use_instance(ctx: click.Context, _param: click.Parameter, folder: Path | None) -> None:
    if folder is not None:
        ctx.ensure_object(ScriptInfo).create_app = partial(app_from_instance, folder)


class Commands(FlaskGroup):
    """Flask's command group, holding every command itself.

    Listing the commands or showing help never builds the app, so both work
    without settings; a command that needs the app gets it from ``--instance``
    or the ``DISKRET_`` settings when it runs.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """List the commands added here (no app-provided or plugin commands)."""
        return sorted(self.commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Return a command added here."""
        return self.commands.get(name)


cli = Commands(
    name="diskret",
    create_app=app_from_settings,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Diskret: anonymous booking of ambulant drug treatment.",
    params=[
        click.Option(
            ["--instance"],
            type=click.Path(file_okay=False, path_type=Path),
            expose_value=False,
            is_eager=True,
            callback=_use_instance,
            help="A demo's folder: use its database and secrets instead of the DISKRET_ settings.",
        )
    ],
)


for command in (*ops.COMMANDS, *demo_commands.COMMANDS):
    cli.add_command(command)
cli.add_command(keys_group)
cli.add_command(contracts_group)
cli.add_command(centres_group)


def main() -> None:
    """Run the ``diskret`` command line, once its top-level modules proved to be its own."""
    try:
        installation.check()
    except installation.ForeignModule as error:
        raise SystemExit(f"diskret: {error}") from None
    cli.main(prog_name="diskret")


@cli.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    migrate.upgrade(db.engine_of(current_app))
    click.echo("Database schema is up to date.")


@db_group.command("revision")
@click.argument("message")
def db_revision(message: str) -> None:
    """Write the next migration from the models' difference to the (upgraded) database.

    For development, in a source checkout: the script lands in
    service/migrations/versions/ to be read, completed and committed.
    """
    engine = db.engine_of(current_app)
    migrate.upgrade(engine)
    path = migrate.revision(engine, message)
    click.echo(f"Wrote {path}: read it and complete it before committing.")


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load the demo municipalities, centres, contracts, slots and groups."""
    session = db.session()
    added = demo.seed(session, keyring(), now=utcnow())
    session.commit()
    click.echo("Demo data loaded." if added else "Centres exist already; demo data left alone.")


@cli.command("create-api-key")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES))
@click.option("--centre", "centre_id", type=click.UUID, help="Bind the key to one centre.")
@click.option("--municipality", "municipality_code", help="Bind the key to one municipality.")
def create_api_key(
    name: str, scopes: tuple[str, ...], centre_id: uuid.UUID | None, municipality_code: str | None
) -> None:
    """Create an API key and print it once, on the last line."""
    session = db.session()
    try:
        made = keys.create(
            session,
            keyring(),
            SYSTEM,
            name=name,
            scopes=scopes,
            centre_id=centre_id,
            municipality_code=municipality_code,
            now=utcnow(),
        )
    except DomainError as error:
        raise click.UsageError(error.text) from None
    session.commit()
    click.echo(
        f"Created key {name!r} with {', '.join(made.row.scopes.split())}. It is shown only once:"
    )
    click.echo(made.key)


@cli.command("serve", with_appcontext=False)
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--single-process-sqlite",
    is_flag=True,
    help="Allow SQLite, for a one-process installation (--workers 1).",
)
def run_serve(bind: str, workers: int, threads: int, single_process_sqlite: bool) -> None:
    """Serve in production under gunicorn; refuses to start without its secrets."""
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    refuse_missing_keys(app)
    sqlite = app.config["DATABASE_URL"].startswith("sqlite")
    if sqlite and (not single_process_sqlite or workers != 1):
        raise click.ClickException(
            "SQLite serves one process only: use PostgreSQL, or --single-process-sqlite "
            "with --workers 1."
        )
    try:
        serve(app, bind=bind, workers=workers, threads=threads)
    except CannotListen as error:
        raise click.ClickException(str(error)) from None


@cli.command("list-api-keys")
def list_api_keys() -> None:
    """List API keys by name, scopes, reach, created and last-used day (never the key)."""
    for key in keys.listing(db.session()):
        reach = (
            f"centre {key.centre_id}"
            if key.centre_id
            else (f"municipality {key.municipality_code}" if key.municipality_code else "national")
        )
        state = "revoked" if key.revoked_at else "active"
        used = key.last_used_on.isoformat() if key.last_used_on else "never"
        click.echo(
            f"{key.id}  {key.name!r}  {key.scopes}  {reach}  "
            f"created {key.created_at.date().isoformat()}  used {used}  {state}"
        )


@cli.command("revoke-api-key")
@click.argument("key_id", type=click.UUID)
def revoke_api_key(key_id: uuid.UUID) -> None:
    """Revoke an API key at once."""
    session = db.session()
    try:
        key = keys.revoke(session, SYSTEM, key_id, now=utcnow())
    except DomainError:
        raise click.BadParameter("no API key has that id", param_hint="KEY_ID") from None
    session.commit()
    click.echo(f"Revoked {key.name!r}.")


@cli.command("create-webhook")
@click.argument("name")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True, type=click.Choice(EVENTS))
@click.option("--centre", "centre_id", type=click.UUID, help="Follow one centre's courses.")
@click.option("--municipality", "municipality_code", help="Follow one municipality's citizens.")
def create_webhook(
    name: str,
    url: str,
    events: tuple[str, ...],
    centre_id: uuid.UUID | None,
    municipality_code: str | None,
) -> None:
    """Register a webhook and print its signing secret once, on the last line."""
    session = db.session()
    try:
        hook, secret = webhooks.create(
            session,
            keyring(),
            name=name,
            url=url,
            events=events,
            centre_id=centre_id,
            municipality_code=municipality_code,
            now=utcnow(),
        )
    except DomainError as error:
        raise click.UsageError(error.text) from None
    session.commit()
    click.echo(f"Created webhook {hook.id} for {', '.join(events)}. Its secret, shown only once:")
    click.echo(secret)


@cli.command("deliver-webhooks")
@click.option("--once", is_flag=True, help="Deliver what is due and stop.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
def deliver_webhooks(once: bool, interval: float) -> None:
    """Deliver queued webhook events, retrying with backoff (run as its own process)."""
    factory = current_app.extensions[db.EXTENSION]
    with httpx.Client() as client:
        while True:
            sent = webhooks.run_once(factory, keyring(), client)
            if once:
                click.echo(f"Attempted {sent} deliveries.")
                return
            time.sleep(interval)
