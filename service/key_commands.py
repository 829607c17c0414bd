"""The ``diskret keys`` commands and the start-up check that every needed key version is there.

Added to the ``diskret`` command by ``service.cli``. See SECURITY.md,
"Rotating and retiring keys", for the procedure these commands serve.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session, sessionmaker

from service import db
from service.booking import rotation
from service.http.keyring import keyring, keyring_of


def refuse_missing_keys(app: Flask) -> None:
    """Refuse to start when stored rows need a key version that the configuration lacks."""
    with app.app_context(), db.reader() as session:
        lacking = rotation.missing(session, keyring_of(app))
    # No pooled connection may outlive the check: gunicorn's workers are forked
    # from this process, and must not share one.
    db.engine_of(app).dispose()
    if lacking:
        raise click.ClickException(rotation.describe_missing(lacking))


@click.group("keys")
def keys_group() -> None:
    """Show which key versions stored rows need, and retire old ones."""


@keys_group.command("status")
@with_appcontext
def status() -> None:
    """Count, per key version, the stored rows of each kind that still need it."""
    ring = keyring()
    with db.reader() as session:
        uses = rotation.usage(session)
    needed: set[int] = set()
    for use in uses:
        needed.add(use.version)
        how = "inner key of wrapped digests" if use.inner_only else "key"
        click.echo(f"version {use.version}: {use.kind} {use.rows} ({how})")
    for version in sorted(set(ring.versions) | needed, reverse=True):
        if version == ring.current_version:
            verdict = "current"
        elif version not in ring.versions:
            verdict = "NEEDED BUT MISSING from DISKRET_TOKEN_KEY"
        elif version in needed:
            verdict = "still needed; retire it, then wait for re-keying or the purge"
        else:
            verdict = "not needed by any stored row: it can be dropped from DISKRET_TOKEN_KEY"
        click.echo(f"version {version}: {verdict}")


@keys_group.command("retire")
@click.argument("version", type=click.IntRange(1))
@click.option("--batch", default=rotation.BATCH, show_default=True, type=click.IntRange(1))
@with_appcontext
def retire(version: int, batch: int) -> None:
    """Move every stored row off VERSION, so that its key alone opens or matches nothing."""
    factory: sessionmaker[Session] = current_app.extensions[db.EXTENSION]

    def progress(kind: str, done: int, total: int) -> None:
        click.echo(f"{kind}: {done}/{total}")

    try:
        rotation.retire(factory, keyring(), version, progress=progress, size=batch)
    except rotation.RetireRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Version {version} retired. `diskret keys status` tells when it can be dropped "
        "from DISKRET_TOKEN_KEY."
    )
