"""The demo's commands: ``diskret demo`` and ``diskret setup-code`` for a forgotten or late code.

Added to the ``diskret`` command by ``service.cli``. The demo makes its own
settings in its folder; ``setup-code`` takes the app the command line builds,
from the ``DISKRET_`` settings or from a demo's folder (``--instance``).
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import ScriptInfo
from werkzeug.serving import WSGIRequestHandler, run_simple

import crypto
from service import create_app, db, demo, migrate, ops
from service.core.clock import utcnow
from service.core.errors import DomainError
from service.http.keyring import keyring
from service.identity import accounts
from service.key_commands import refuse_missing_keys


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


def set_up_demo(now: datetime) -> list[tuple[str, str, str]]:
    """Load the demo data as at ``now`` and publish its statistics; return new staff accounts.

    Runs at every start of the demo: the data only once, intro talks within
    the hour whenever none is free, and the daily purge, as production runs
    it, which publishes the months that are over.
    """
    session = db.session()
    demo.seed(session, keyring(), now=now)
    demo.soon_slots(session, now=now)
    made = demo.seed_staff(session, now=now)
    session.commit()
    ops.purge_and_publish(now)
    db.session().close()
    return made


@click.command("demo")
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
        made = set_up_demo(utcnow())
    for username, role, code in made:
        click.echo(f"Demo staff account {username} ({role}), one-time setup code: {code}")
    click.echo(f"Diskret demo on http://127.0.0.1:{port}/ (staff: /staff/, Ctrl-C stops it)")
    run_simple("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)


@click.command("setup-code")
@click.argument("username")
@click.pass_context
def setup_code(ctx: click.Context, username: str) -> None:
    """Give a staff account a new one-time setup code, printed on the last line.

    The account's password or earlier code stops working and its sessions
    end; two-factor sign-in, if set up, stays. Audited with the system as actor.
    Against a demo: ``diskret --instance <its folder> setup-code <username>``.
    """
    app = ctx.ensure_object(ScriptInfo).load_app()
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


COMMANDS = (run_demo, setup_code)
