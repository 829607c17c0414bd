"""Factories and a small world of centres, contracts, slots, groups and API keys for the tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

import crypto
from service.booking.directory import load_municipalities
from service.identity.keys import PURPOSE as API_KEY_PURPOSE
from service.models import ApiKey, Centre, Contract, Group, GroupSession, Slot, SlotKind

HOME = "101"  # København
NEIGHBOUR = "147"  # Frederiksberg
ELSEWHERE = "461"  # Odense: contracts neither centre A nor B


def add_centre(session: Session, municipality: str, name: str, now: datetime) -> Centre:
    """Add a centre with a made-up address."""
    centre = Centre(
        name=name,
        municipality_code=municipality,
        address=f"Testvej {len(name)}, 2100 København Ø",
        entrance="Gennem porten.",
        opening_hours="9-17",
        languages="da en",
        created_at=now,
    )
    session.add(centre)
    session.flush()
    return centre


def add_contract(
    session: Session,
    municipality: str,
    centre: Centre,
    *,
    valid_from: date,
    valid_to: date | None = None,
) -> Contract:
    """Contract a centre for a municipality."""
    contract = Contract(
        municipality_code=municipality,
        centre_id=centre.id,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(contract)
    session.flush()
    return contract


def add_slot(
    session: Session, centre: Centre, kind: SlotKind, starts_at: datetime, minutes: int = 45
) -> Slot:
    """Add one slot."""
    slot = Slot(
        centre_id=centre.id,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        created_at=starts_at - timedelta(days=60),
    )
    session.add(slot)
    session.flush()
    return slot


def add_group(
    session: Session,
    centre: Centre,
    *,
    first: datetime,
    capacity: int,
    sessions: int = 4,
    late_join_until: int = 2,
    name: str = "Gruppe",
) -> Group:
    """Add a group with weekly sessions of 150 minutes from ``first``."""
    group = Group(
        centre_id=centre.id,
        name=name,
        capacity=capacity,
        intake_open=True,
        late_join_until=late_join_until,
        created_at=first - timedelta(days=30),
        sessions=[
            GroupSession(
                number=n + 1,
                starts_at=first + timedelta(weeks=n),
                ends_at=first + timedelta(weeks=n, minutes=150),
            )
            for n in range(sessions)
        ],
    )
    session.add(group)
    session.flush()
    return group


def add_api_key(
    session: Session,
    keyring: crypto.Keyring,
    *,
    scopes: str,
    centre: Centre | None = None,
    municipality: str | None = None,
) -> str:
    """Add an API key and return it in clear."""
    key = crypto.generate_api_key()
    digest = keyring.digest(key, purpose=API_KEY_PURPOSE)
    session.add(
        ApiKey(
            name=f"test {scopes}",
            digest=digest.value,
            key_version=digest.version,
            scopes=scopes,
            centre_id=centre.id if centre else None,
            municipality_code=municipality,
            created_at=datetime.now().astimezone(),
        )
    )
    session.flush()
    return key


@dataclass
class World:
    """What the tests book against: ids and keys, all of them made up."""

    centre_a: uuid.UUID
    centre_b: uuid.UUID
    centre_c: uuid.UUID
    intro_a: list[uuid.UUID]
    intro_past_a: uuid.UUID
    intro_b: uuid.UUID
    intro_c: uuid.UUID
    closing_early_a: uuid.UUID
    closing_late_a: uuid.UUID
    group_a: uuid.UUID
    group_b: uuid.UUID
    manage_a: str
    manage_b: str
    verify_home: str
    unscoped_a: str
    extra: dict[str, uuid.UUID] = field(default_factory=dict)


def build_world(session: Session, keyring: crypto.Keyring, *, now: datetime) -> World:
    """Build the standard world of the tests."""
    load_municipalities(session)
    a = add_centre(session, HOME, "Centre A", now)
    b = add_centre(session, NEIGHBOUR, "Centre B", now)
    c = add_centre(session, ELSEWHERE, "Centre C", now)
    start = now.date() - timedelta(days=30)
    for home in (HOME, NEIGHBOUR):
        add_contract(session, home, a, valid_from=start)
        add_contract(session, home, b, valid_from=start)
    add_contract(session, ELSEWHERE, c, valid_from=start)
    add_contract(session, ELSEWHERE, b, valid_from=start)
    day = timedelta(days=1)
    intro_a = [add_slot(session, a, SlotKind.INTRO, now + n * day).id for n in (1, 2, 3, 4)]
    group_first = now + 7 * day
    group_a = add_group(session, a, first=group_first, capacity=2)
    group_b = add_group(session, b, first=group_first, capacity=5)
    return World(
        centre_a=a.id,
        centre_b=b.id,
        centre_c=c.id,
        intro_a=intro_a,
        intro_past_a=add_slot(session, a, SlotKind.INTRO, now - day).id,
        intro_b=add_slot(session, b, SlotKind.INTRO, now + day).id,
        intro_c=add_slot(session, c, SlotKind.INTRO, now + day).id,
        closing_early_a=add_slot(session, a, SlotKind.CLOSING, group_first + 7 * day).id,
        closing_late_a=add_slot(session, a, SlotKind.CLOSING, group_first + 40 * day).id,
        group_a=group_a.id,
        group_b=group_b.id,
        manage_a=add_api_key(session, keyring, scopes="centre:manage", centre=a),
        manage_b=add_api_key(session, keyring, scopes="centre:manage", centre=b),
        verify_home=add_api_key(session, keyring, scopes="tokens:verify", municipality=HOME),
        unscoped_a=add_api_key(session, keyring, scopes="stats:read", centre=a),
    )
