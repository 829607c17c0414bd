"""The ``diskret`` command: every operator task, wrapping the Flask CLI (SPEC section 6)."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import click
import httpx
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo
from werkzeug.serving import WSGIRequestHandler, run_simple

import crypto
from service import create_app, db, demo, installation, migrate, ops, webhooks
from service.booking.events import EVENTS
from service.config import ConfigError
from service.core.clock import utcnow
from service.core.errors import DomainError
from service.http.keyring import keyring
from service.identity import accounts, keys
from service.identity.actors import SYSTEM
from service.key_commands import keys_group, refuse_missing_keys
from service.serve import CannotListen, serve

SCOPES = keys.SCOPES


cli = FlaskGroup(
    name="diskret",
    create_app=create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Diskret: anonymous booking of ambulant drug treatment.",
)


for command in ops.COMMANDS:
    cli.add_command(command)
cli.add_command(keys_group)


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
    try:
        app = create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
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


class _QuietHandler(WSGIRequestHandler):
    """The development server's handler without its access log, which prints client addresses."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing: the app's own request log carries no address (SPEC P3)."""


def demo_environment(instance: Path) -> dict[str, str]:
    """Return the demo's settings, generating its development secrets on first use (mode 0600)."""
    # The folder holds the database and its secrets: only the owner may enter.
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    instance.chmod(0o700)
    secrets_file = instance / "secrets.json"
    if not secrets_file.exists():
        generated = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TOKEN_KEY": crypto.Keyring.generate_config(),
        }
        descriptor = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(generated, handle)
    stored: dict[str, str] = json.loads(secrets_file.read_text(encoding="utf-8"))
    return {
        "ENVIRONMENT": "development",
        "LOG_FORMAT": "text",
        "DATABASE_URL": f"sqlite:///{instance / 'diskret.sqlite3'}",
        **stored,
    }


@cli.command("demo", with_appcontext=False)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--instance", default="instance", show_default=True, type=click.Path(path_type=Path))
def run_demo(port: int, instance: Path) -> None:
    """Run the service on 127.0.0.1 with embedded SQLite, generated secrets and demo data."""
    settings: dict[str, Any] = demo_environment(instance.resolve())
    app = create_app(settings)
    with app.app_context():
        migrate.upgrade(db.engine_of(app))
    refuse_missing_keys(app)
    with app.app_context():
        session, now = db.session(), utcnow()
        demo.seed(session, keyring(), now=now)
        demo.soon_slots(session, now=now)
        made = demo.seed_staff(session, now=now)
        session.commit()
        # The daily purge, as production runs it: it publishes the statistics.
        ops.purge_and_publish(now)
        db.session().close()
    for username, role, code in made:
        click.echo(f"Demo staff account {username} ({role}), one-time setup code: {code}")
    click.echo(f"Diskret demo on http://127.0.0.1:{port}/ (staff: /staff/, Ctrl-C stops it)")
    run_simple("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)


@cli.command("setup-code", with_appcontext=False)
@click.argument("username")
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    help="A demo's folder: use its database and secrets instead of the DISKRET_ settings.",
)
@click.pass_context
def setup_code(ctx: click.Context, username: str, instance: Path | None) -> None:
    """Give a staff account a new one-time setup code, printed on the last line.

    The account's password or earlier code stops working and its sessions
    end; two-factor sign-in, if set up, stays. Audited with the system as actor.
    """
    if instance is None:
        app = ctx.ensure_object(ScriptInfo).load_app()
    elif (instance / "diskret.sqlite3").exists():
        app = create_app(demo_environment(instance.resolve()))
    else:
        raise click.ClickException(f"No demo database in {instance}.")
    with app.app_context():
        session = db.session()
        try:
            made = accounts.issue_setup_code_by_operator(
                session, username, profile=ops.password_profile(), now=utcnow()
            )
        except DomainError as error:
            raise click.ClickException(error.text) from None
        session.commit()
        hours = app.config["STAFF_SETUP_CODE_HOURS"]
    click.echo(f"New one-time setup code for {made.account.username}, valid for {hours} hours:")
    click.echo(made.setup_code)
