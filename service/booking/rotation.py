"""Which stored rows need which key version, and retiring a version so that it opens nothing.

Every keyed or sealed column names the key version it was made with. Retiring
a version moves each row off it, in batches of one transaction each:

- keyed digests that cannot be made again without the secret itself (course
  codes, API keys) are wrapped under the current key (``crypto.Keyring.wrap``);
  matching them then needs the current key and the retired one together. A
  revoked API key's digest is replaced by random bytes instead;
- sealed secrets (TOTP, webhook secrets) are sealed again under the current key;
- short-lived rows that only their holder could move (citizen and staff
  sessions, stored idempotent answers) are deleted: the browser signs in
  again, the retry is answered afresh.

Each batch selects rows still on the version with a row lock and moves them,
so a concurrent re-key on use (which updates only a row whose digest is the
one it read) and a second retire in parallel never clash, and an interrupted
retire is finished by running it again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

import crypto
from service import webhooks
from service.booking import feeds, pathway
from service.identity import keys, two_factor
from service.models import (
    ApiKey,
    CalendarFeed,
    Course,
    StaffAccount,
    StaffSession,
    Webhook,
    WebSession,
)
from service.models.access import IdempotentAnswer

BATCH = 500

Progress = Callable[[str, int, int], None]


class RetireRefused(Exception):
    """A version cannot be retired: it is the current one, or the keyring lacks it."""


@dataclass(frozen=True)
class _Kind:
    """One kind of stored row that depends on a key version, and how retiring moves it."""

    name: str
    model: Any
    version: InstrumentedAttribute[Any]
    # For wrapped digests: the digest column, the inner version column and the purpose.
    digest: InstrumentedAttribute[Any] | None = None
    inner: InstrumentedAttribute[Any] | None = None
    purpose: str = ""
    # For sealed secrets: the sealed column and the purpose of the derived key.
    sealed: InstrumentedAttribute[Any] | None = None


KINDS = (
    _Kind(
        "course codes",
        Course,
        Course.token_key_version,
        digest=Course.token_digest,
        inner=Course.token_inner_version,
        purpose=pathway.TOKEN_PURPOSE,
    ),
    _Kind(
        "calendar feeds",
        CalendarFeed,
        CalendarFeed.key_version,
        digest=CalendarFeed.secret_digest,
        inner=CalendarFeed.inner_version,
        purpose=feeds.PURPOSE,
    ),
    _Kind(
        "api keys",
        ApiKey,
        ApiKey.key_version,
        digest=ApiKey.digest,
        inner=ApiKey.inner_version,
        purpose=keys.PURPOSE,
    ),
    _Kind(
        "totp secrets",
        StaffAccount,
        StaffAccount.totp_key_version,
        sealed=StaffAccount.totp_secret,
        purpose=two_factor.SECRET_PURPOSE,
    ),
    _Kind(
        "webhook secrets",
        Webhook,
        Webhook.key_version,
        sealed=Webhook.sealed_secret,
        purpose=webhooks.SECRET_PURPOSE,
    ),
    _Kind("citizen sessions", WebSession, WebSession.key_version),
    _Kind("staff sessions", StaffSession, StaffSession.key_version),
    _Kind("stored answers", IdempotentAnswer, IdempotentAnswer.key_version),
)


@dataclass(frozen=True)
class Usage:
    """How many rows of one kind need one key version, and whether only as an inner key."""

    kind: str
    version: int
    rows: int
    inner_only: bool = False


def usage(session: Session) -> list[Usage]:
    """Count, for every kind and key version, the stored rows that need that version."""
    found = []
    for kind in KINDS:
        columns = [(kind.version, False)] + ([(kind.inner, True)] if kind.inner else [])
        for column, inner_only in columns:
            counts = session.execute(
                select(column, func.count()).where(column.is_not(None)).group_by(column)
            ).all()
            found += [Usage(kind.name, v, n, inner_only) for v, n in sorted(counts)]
    return found


def needed(session: Session) -> dict[int, dict[str, int]]:
    """Return, for every key version that stored rows need, the row count per kind."""
    versions: dict[int, dict[str, int]] = {}
    for use in usage(session):
        kinds = versions.setdefault(use.version, {})
        kinds[use.kind] = kinds.get(use.kind, 0) + use.rows
    return versions


def missing(session: Session, keyring: crypto.Keyring) -> dict[int, dict[str, int]]:
    """Return the versions that stored rows need and the keyring lacks, with row counts."""
    return {v: kinds for v, kinds in needed(session).items() if v not in keyring.versions}


def describe_missing(lacking: dict[int, dict[str, int]]) -> str:
    """Return one line naming the missing versions and what needs each (no secret, no value)."""
    parts = []
    for version, kinds in sorted(lacking.items()):
        rows = ", ".join(f"{kind} {count}" for kind, count in kinds.items())
        parts.append(f"version {version} ({rows})")
    return (
        "DISKRET_TOKEN_KEY lacks key "
        + "; ".join(parts)
        + ": stored rows need it. Put the key back; see SECURITY.md, Rotating and retiring keys."
    )


def _on_version(kind: _Kind, version: int) -> ColumnElement[bool]:
    """Select the rows that retiring a version moves: on it, or revoked keys wrapping it."""
    if kind.model is ApiKey:
        revoked = and_(ApiKey.inner_version == version, ApiKey.revoked_at.is_not(None))
        return or_(kind.version == version, revoked)
    return kind.version == version


def _batch(session: Session, kind: _Kind, version: int, size: int) -> list[Any]:
    primary = kind.model.__mapper__.primary_key[0]
    rows = session.scalars(
        select(kind.model)
        .where(_on_version(kind, version))
        .order_by(primary)
        .limit(size)
        .with_for_update()
    ).all()
    return list(rows)


def _move(session: Session, keyring: crypto.Keyring, kind: _Kind, row: Any) -> None:
    if isinstance(row, ApiKey) and row.revoked_at is not None:
        # A revoked key is refused whether it matches or not: random bytes
        # instead of its digest match nothing and need no key at all.
        row.digest = secrets.token_bytes(32)
        row.key_version, row.inner_version = keyring.current_version, None
    elif kind.digest is not None and kind.inner is not None:
        stored = crypto.Digest(
            getattr(row, kind.version.key),
            getattr(row, kind.digest.key),
            inner=getattr(row, kind.inner.key),
        )
        moved = keyring.rewrap(stored, purpose=kind.purpose)
        setattr(row, kind.digest.key, moved.value)
        setattr(row, kind.version.key, moved.version)
        setattr(row, kind.inner.key, moved.inner)
    elif kind.sealed is not None:
        context = row.id.bytes
        old = keyring.derive_key(
            context, purpose=kind.purpose, version=getattr(row, kind.version.key)
        )
        plain = crypto.unseal(old, getattr(row, kind.sealed.key), context=context)
        new = keyring.derive_key(context, purpose=kind.purpose)
        setattr(row, kind.sealed.key, crypto.seal(new, plain, context=context))
        setattr(row, kind.version.key, keyring.current_version)
    else:
        session.delete(row)


def _batches(
    sessions: Callable[[], Session], keyring: crypto.Keyring, kind: _Kind, version: int, size: int
) -> Iterator[int]:
    while True:
        with sessions() as session:
            rows = _batch(session, kind, version, size)
            if not rows:
                return
            for row in rows:
                _move(session, keyring, kind, row)
            session.commit()
        yield len(rows)


def retire(
    sessions: Callable[[], Session],
    keyring: crypto.Keyring,
    version: int,
    *,
    progress: Progress,
    size: int = BATCH,
) -> None:
    """Move every stored row off a key version, batch by batch, one transaction each.

    Afterwards nothing stored opens or matches with that version's key alone.
    Idempotent: a second run finds nothing left and changes nothing.
    """
    if version == keyring.current_version:
        raise RetireRefused(f"version {version} is current: add a newer key first")
    if version not in keyring.versions:
        raise RetireRefused(f"the keyring lacks version {version}: it is needed to move its rows")
    for kind in KINDS:
        with sessions() as session:
            total = session.scalar(
                select(func.count()).select_from(kind.model).where(_on_version(kind, version))
            )
            total = total or 0
            session.commit()
        done = 0
        progress(kind.name, done, total)
        for moved in _batches(sessions, keyring, kind, version, size):
            done += moved
            progress(kind.name, done, max(total, done))
