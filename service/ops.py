"""Operator commands for retention, the privacy audit and the first staff account.

Added to the ``diskret`` command by ``service.cli``; each runs inside the app
context, so it uses the same configuration as the server.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

import crypto
from service import db, privacy_audit
from service.booking import retention
from service.core.clock import utcnow
from service.core.errors import DomainError
from service.identity import accounts
from service.models import Role
from service.stats import report


def _periods() -> retention.Periods:
    config = current_app.config
    return retention.Periods(
        after_end=timedelta(days=config["PURGE_AFTER_DAYS"]),
        never_started=timedelta(days=config["PURGE_UNSTARTED_DAYS"]),
        audit=timedelta(days=config["AUDIT_KEEP_DAYS"]),
        answers=timedelta(hours=config["IDEMPOTENCY_HOURS"]),
    )


def purge_and_publish(now: datetime) -> tuple[retention.Purged, tuple[list[str], int, int]]:
    """Purge what has been kept long enough, commit, then publish the months that are over.

    The daily purge's work, shared with ``diskret demo``, which runs it at
    each start so that its statistics are published as production's are.
    """
    session = db.session()
    purged = retention.purge(session, _periods(), now=now)
    session.commit()
    return purged, report.publish(session, now=now)


def password_profile() -> crypto.PasswordProfile:
    """Return the argon2id profile the configuration names for staff passwords."""
    profiles = {"staff": crypto.STAFF_PROFILE, "test": crypto.TEST_PROFILE}
    return profiles[current_app.config["PASSWORD_PROFILE"]]


@click.command("purge")
@click.option("--every", type=float, help="Run again every this many hours, until stopped.")
@with_appcontext
def purge(every: float | None) -> None:
    """Delete courses, codes and records kept long enough; the statistics stay.

    Then publish the statistics of the months that are over, so that no
    request has to compute them: the only writer of what they publish.
    """
    while True:
        purged, (years, reaches, pruned) = purge_and_publish(utcnow())
        click.echo(
            f"Purged {purged.ended_courses} ended and {purged.unstarted_courses} unstarted "
            f"courses, {purged.audit_events} audit events, {purged.sessions} sessions, "
            f"{purged.answers} stored answers, {purged.deliveries} webhook deliveries, "
            f"{pruned} published statistics no longer asked for."
        )
        prepared = f"{reaches} {'reach' if reaches == 1 else 'reaches'}"
        click.echo(
            f"Statistics ready for {', '.join(years) or 'no year yet'}; "
            f"every view of each year stored for {prepared}."
        )
        db.session().close()
        if every is None:
            return
        time.sleep(every * 3600)


@click.command("privacy-audit")
@click.option(
    "--log",
    "logs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A log file to scan as well (repeatable).",
)
@with_appcontext
def privacy_audit_command(logs: tuple[Path, ...]) -> None:
    """Scan every table and the given logs for CPR numbers, e-mail, phone, IP, tokens, keys.

    Prints what kind of thing was found and where, never the thing, and exits
    with status 1 when anything was found.
    """
    findings = [*privacy_audit.scan_database(db.session()), *privacy_audit.scan_files(logs)]
    for finding in findings:
        click.echo(f"{finding.kind}\t{finding.place}")
    kept = retention.remaining(db.session())
    click.echo(f"Courses kept, by status: {kept or 'none'}.")
    if findings:
        click.echo(f"{len(findings)} finding(s).", err=True)
        sys.exit(1)
    click.echo("Nothing identifying found.")


@click.command("create-staff")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option("--centre", "centre_id", type=click.UUID, help="For staff and centre admins.")
@click.option("--municipality", help="For coordinators: the municipality's code.")
@with_appcontext
def create_staff(
    username: str, role: str, centre_id: uuid.UUID | None, municipality: str | None
) -> None:
    """Create a staff account (the first administrator, say) and print its one-time setup code.

    The owner signs in with the code once and must then choose a password.
    """
    session = db.session()
    try:
        made = accounts.create(
            session,
            username=username,
            role=Role(role),
            centre_id=centre_id,
            municipality_code=municipality,
            created_by=None,
            profile=password_profile(),
            now=utcnow(),
        )
    except DomainError as error:
        raise click.ClickException(error.text) from None
    session.commit()
    click.echo(f"Account {made.account.username} ({role}) created. Its one-time setup code:")
    click.echo(made.setup_code)


COMMANDS = (purge, privacy_audit_command, create_staff)
