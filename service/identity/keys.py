"""API keys for other services: made, listed and revoked by the CLI and the staff pages alike.

A key is ``dsk_`` and 256 random bits, shown once to whoever made it and
kept only as a keyed digest (SECURITY.md, "How tokens are kept"); a revoked
key is refused from the next request on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

import crypto
from service.core import errors
from service.core.text import refuse_personal_data
from service.identity import audit
from service.identity.actors import Actor
from service.models import ApiKey, Centre, Municipality

SCOPES = ("centre:manage", "tokens:verify", "stats:read", "directory:manage")
# The digest's purpose; service.api.auth looks keys up under the same one.
PURPOSE = "api-key"
LONGEST_NAME = 80
# Built once, as every statement of a request's hot path: a lookup costs
# SQLAlchemy a cache hit instead of building and keying a statement.
_BY_DIGEST = select(ApiKey).where(ApiKey.digest.in_(bindparam("digests", expanding=True)))


@dataclass(frozen=True)
class NewKey:
    """A created key's row and the key itself, shown once to whoever created it."""

    row: ApiKey
    key: str


def create(
    session: Session,
    ring: crypto.Keyring,
    actor: Actor,
    *,
    name: str,
    scopes: Iterable[str],
    centre_id: uuid.UUID | None = None,
    municipality_code: str | None = None,
    now: datetime,
) -> NewKey:
    """Create a key with scopes, bound to one centre, one municipality or (neither) the country."""
    name = refuse_personal_data(name.strip(), field="name")
    if not 1 <= len(name) <= LONGEST_NAME:
        raise errors.InvalidInput(f"Name the key in 1 to {LONGEST_NAME} characters.", field="name")
    wanted = sorted(set(scopes))
    if not wanted or not set(wanted) <= set(SCOPES):
        raise errors.InvalidInput(f"Choose scopes among {', '.join(SCOPES)}.", field="scopes")
    if centre_id is not None and municipality_code is not None:
        raise errors.InvalidInput(
            "Bind a key to a centre or a municipality, not both.", field="reach"
        )
    # A key whose scope reaches nothing where it is bound would answer
    # "not found" or "invalid" to every call: refuse it at once instead.
    if "centre:manage" in wanted and centre_id is None:
        raise errors.InvalidInput("A centre:manage key belongs to one centre.", field="scope_reach")
    if "tokens:verify" in wanted and centre_id is None and municipality_code is None:
        raise errors.InvalidInput(
            "A tokens:verify key belongs to a centre or a municipality.", field="scope_reach"
        )
    # Contracts belong to municipalities: a centre's key could reach none of them.
    if "directory:manage" in wanted and centre_id is not None:
        raise errors.InvalidInput(
            "A directory:manage key is national or belongs to a municipality.",
            field="scope_reach",
        )
    if centre_id is not None and session.get(Centre, centre_id) is None:
        raise errors.InvalidInput("No centre has that id.", field="centre_id")
    if municipality_code is not None and session.get(Municipality, municipality_code) is None:
        raise errors.InvalidInput("No municipality has that code.", field="municipality")
    key = crypto.generate_api_key()
    digest = ring.digest(key, purpose=PURPOSE)
    row = ApiKey(
        name=name,
        digest=digest.value,
        key_version=digest.version,
        scopes=" ".join(wanted),
        centre_id=centre_id,
        municipality_code=municipality_code,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "api_key.created",
        object_type="api_key",
        object_id=row.id,
        centre_id=centre_id,
        now=now,
    )
    return NewKey(row, key)


def find(session: Session, ring: crypto.Keyring, key: str) -> ApiKey | None:
    """Return the unrevoked key's row, or None for an unknown, malformed or revoked key."""
    if not crypto.is_api_key_shaped(key):
        return None
    digests = [d.value for d in ring.candidates(key, purpose=PURPOSE)]
    row = session.scalar(_BY_DIGEST, {"digests": digests})
    return None if row is None or row.revoked_at is not None else row


def note_use(session: Session, ring: crypto.Keyring, row: ApiKey, key: str, *, today: date) -> bool:
    """Stamp the day of use (once a day) and re-key an older or wrapped digest; tell if it wrote.

    Only the row whose digest is still the one read changes, so a retire that
    wrapped it meanwhile, or another request that re-keyed it, wins without a
    clash. The caller decides the transaction: a read request commits this in
    a short one of its own, so that it stays read-only itself.
    """
    changes = rekeyed(row, ring, key)
    if row.last_used_on == today and not changes:
        return False
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == row.id, ApiKey.digest == row.digest)
        .values({"last_used_on": today, **changes})
        .execution_options(synchronize_session=False)
    )
    return True


def rekeyed(row: ApiKey, ring: crypto.Keyring, key: str) -> dict[str, Any]:
    """Return the columns that store a key's plain digest under the current key, if it needs it.

    Empty when the stored digest is already plain under the current key.
    """
    if row.key_version == ring.current_version and row.inner_version is None:
        return {}
    digest = ring.digest(key, purpose=PURPOSE)
    return {"digest": digest.value, "key_version": digest.version, "inner_version": None}


def listing(session: Session) -> Sequence[ApiKey]:
    """Return every key, oldest first (the rows hold only digests, never a key)."""
    return session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.name)).all()


def revoke(session: Session, actor: Actor, key_id: uuid.UUID, *, now: datetime) -> ApiKey:
    """Revoke a key at once; revoking it again changes nothing."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise errors.NotFound("No API key has that id.")
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(
            session,
            actor,
            "api_key.revoked",
            object_type="api_key",
            object_id=row.id,
            centre_id=row.centre_id,
            now=now,
        )
        session.flush()
    return row
