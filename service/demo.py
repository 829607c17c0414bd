"""Demo data: the 98 municipalities, centres in five regions, contracts, slots and groups.

Plain functions over a session, so tests and the CLI use the same data. The
courses that fill some group places belong to tokens that were never shown
to anyone: they exist only so that a group has "only a few places left".
Half a year of made-up past courses comes from ``service.demo_history``;
``soon_slots`` gives every centre intro talks within the hour of any start.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service import demo_history
from service.booking import catalogue, pathway
from service.booking.directory import load_municipalities
from service.core.clock import local_to_utc, local_today, weekly
from service.identity import accounts
from service.models import (
    Booking,
    BookingKind,
    BookingStatus,
    Centre,
    Contract,
    Course,
    CourseStatus,
    Group,
    GroupSession,
    Municipality,
    Role,
    Slot,
    SlotKind,
    StaffAccount,
)


@dataclass(frozen=True)
class DemoCentre:
    """A demo centre."""

    name: str
    municipality: str
    address: str
    entrance: str


CENTRES = (
    DemoCentre(
        "Center Vesterbro",
        "101",
        "Istedgade 200, 1650 København V",
        "Gården bag porten, dør B. Ingen skilt med navn.",
    ),
    DemoCentre(
        "Rådgivning Nordsjælland",
        "219",
        "Slotsgade 40, 3400 Hillerød",
        "Indgang fra parkeringspladsen, 1. sal.",
    ),
    DemoCentre(
        "Center Roskilde",
        "265",
        "Algade 60, 4000 Roskilde",
        "Sidedør i gården, ring på 'Kontor 3'.",
    ),
    DemoCentre(
        "Rådgivning Næstved",
        "370",
        "Ringstedgade 30, 4700 Næstved",
        "Bagindgang fra stien, grøn dør.",
    ),
    DemoCentre(
        "Center Fyn", "461", "Vestergade 90, 5000 Odense C", "Gennem porten, anden dør til venstre."
    ),
    DemoCentre(
        "Rådgivning Vestkysten",
        "561",
        "Kongensgade 100, 6700 Esbjerg",
        "Indgang i baggården, 2. sal.",
    ),
    DemoCentre(
        "Center Aarhus",
        "751",
        "Jægergårdsgade 120, 8000 Aarhus C",
        "Dør i porten mellem nr. 118 og 120.",
    ),
    DemoCentre(
        "Rådgivning Herning",
        "657",
        "Bredgade 50, 7400 Herning",
        "Indgang fra gården, ring på 'Rådgivning'.",
    ),
    DemoCentre(
        "Center Nordjylland",
        "851",
        "Boulevarden 30, 9000 Aalborg",
        "Sideindgang fra gågaden, 1. sal.",
    ),
)

INTRO_TIMES = (time(9, 0), time(10, 30), time(13, 0), time(15, 0))
CLOSING_TIME = time(14, 0)
# The intro talks within the hour of the demo's start: minutes after it.
SOON = (10, 25, 40)

# The demo's staff accounts: username, role, and the centre (by name) or the
# municipality (by code) each belongs to. The README lists the same.
STAFF_CENTRE = "Center Aarhus"
STAFF = (
    ("demo.staff", Role.STAFF, STAFF_CENTRE, None),
    ("demo.centre", Role.CENTRE_ADMIN, STAFF_CENTRE, None),
    ("demo.kommune", Role.COORDINATOR, None, "751"),
    ("demo.admin", Role.ADMIN, None, None),
)


def _centres(session: Session, now: datetime) -> list[Centre]:
    centres = [
        Centre(
            name=spec.name,
            municipality_code=spec.municipality,
            address=spec.address,
            entrance=spec.entrance,
            opening_hours="Man-tors 9-19, fre 9-15",
            languages="da en",
            created_at=now,
        )
        for spec in CENTRES
    ]
    session.add_all(centres)
    session.flush()
    return centres


# The region next door, for each municipality's contract outside its own region.
NEIGHBOURING_REGION = {
    "Region Hovedstaden": "Region Sjælland",
    "Region Sjælland": "Region Hovedstaden",
    "Region Syddanmark": "Region Midtjylland",
    "Region Midtjylland": "Region Syddanmark",
    "Region Nordjylland": "Region Midtjylland",
}


def _contracts(session: Session, centres: list[Centre], today: date) -> None:
    # Every municipality contracts the centres of its own region and the first
    # one of the region next door: two or more providers, at least one of them
    # outside the municipality (§ 101 a, stk. 2).
    regions = {m.code: m.region for m in session.scalars(select(Municipality))}
    for code, region in regions.items():
        chosen = {c.id for c in centres if regions[c.municipality_code] == region}
        neighbour = NEIGHBOURING_REGION.get(region, region)
        chosen.add(next(c.id for c in centres if regions[c.municipality_code] == neighbour))
        for centre_id in chosen:
            contract = Contract(
                municipality_code=code, centre_id=centre_id, valid_from=today - timedelta(days=365)
            )
            session.add(contract)


def _slots(session: Session, centre: Centre, today: date, now: datetime) -> None:
    for offset in range(1, 29):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for at in INTRO_TIMES:
            start = local_to_utc(day, at)
            session.add(
                Slot(
                    centre_id=centre.id,
                    kind=SlotKind.INTRO,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=45),
                    created_at=now,
                )
            )
        if day.weekday() in (1, 3):
            start = local_to_utc(day, CLOSING_TIME)
            session.add(
                Slot(
                    centre_id=centre.id,
                    kind=SlotKind.CLOSING,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=45),
                    created_at=now,
                )
            )


def _group(centre: Centre, name: str, first_day: date, capacity: int, now: datetime) -> Group:
    times = weekly(
        first_day=first_day,
        weekdays=frozenset({first_day.weekday()}),
        start=time(17, 0),
        minutes=150,
        weeks=16,
    )
    return Group(
        centre_id=centre.id,
        name=name,
        capacity=capacity,
        intake_open=True,
        late_join_until=3,
        created_at=now,
        sessions=[
            GroupSession(number=n, starts_at=s, ends_at=e)
            for n, (s, e) in enumerate(times, start=1)
        ],
    )


def _fill(
    session: Session,
    group: Group,
    places: int,
    keyring: crypto.Keyring,
    *,
    now: datetime,
    home: str,
) -> None:
    for _ in range(places):
        course = Course(
            reference=crypto.generate_reference(),
            centre_id=group.centre_id,
            home_municipality=home,
            language="da",
            status=CourseStatus.ACTIVE,
            requested_at=now - timedelta(days=14),
            decided_at=now - timedelta(days=7),
        )
        digest = keyring.digest(uuid.uuid4().hex, purpose=pathway.TOKEN_PURPOSE)
        course.token_digest, course.token_key_version = digest.value, digest.version
        course.bookings.append(
            Booking(
                kind=BookingKind.GROUP,
                group_id=group.id,
                status=BookingStatus.BOOKED,
                created_at=now,
                placed_at=now,
            )
        )
        session.add(course)
    group.places_taken = places


def seed(session: Session, keyring: crypto.Keyring, *, now: datetime) -> bool:
    """Load the demo data unless centres exist already; return whether anything was added."""
    load_municipalities(session)
    if session.scalar(select(Centre.id).limit(1)) is not None:
        return False
    today = local_today(now)
    centres = _centres(session, now)
    _contracts(session, centres, today)
    session.flush()
    demo_history.add_history(session, keyring, centres, now=now)
    next_tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    for index, centre in enumerate(centres):
        _slots(session, centre, today, now)
        upcoming = _group(centre, "Tirsdagsgruppen", next_tuesday, 8, now)
        running = _group(centre, "Torsdagsgruppen", next_tuesday - timedelta(days=5), 6, now)
        session.add_all([upcoming, running])
        session.flush()
        # Some groups are nearly full, one is full with people waiting to see.
        _fill(session, upcoming, (index * 3) % 8, keyring, now=now, home=centre.municipality_code)
        places = 6 if index == 0 else 4
        _fill(session, running, places, keyring, now=now, home=centre.municipality_code)
    session.flush()
    soon_slots(session, now=now)
    return True


def soon_slots(session: Session, *, now: datetime) -> int:
    """Give every centre free intro talks within the next hour unless it has one; return how many.

    Run at each start of the demo, whatever the hour or the weekday, so that
    a newcomer can book a talk and follow it through on the same day.
    """
    first = now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5)
    centres = session.scalars(select(Centre.id)).all()
    soonest = catalogue.next_free_intro(session, centres, now=now)
    added = 0
    for centre in centres:
        if centre in soonest and soonest[centre] < now + timedelta(hours=1):
            continue
        for minutes in SOON:
            start = first + timedelta(minutes=minutes)
            session.add(
                Slot(
                    centre_id=centre,
                    kind=SlotKind.INTRO,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=45),
                    created_at=now,
                )
            )
            added += 1
    session.flush()
    return added


def seed_staff(session: Session, *, now: datetime) -> list[tuple[str, str, str]]:
    """Create one demo account per role unless accounts exist; return (username, role, code).

    Each gets a one-time setup code, as real accounts do, printed by ``diskret demo``.
    """
    if session.scalar(select(StaffAccount.id).limit(1)) is not None:
        return []
    centre = session.scalar(select(Centre).where(Centre.name == STAFF_CENTRE))
    if centre is None:
        return []
    made = []
    for username, role, centre_name, code in STAFF:
        account = accounts.create(
            session,
            username=username,
            role=role,
            centre_id=centre.id if centre_name else None,
            municipality_code=code,
            created_by=None,
            profile=crypto.STAFF_PROFILE,
            now=now,
        )
        made.append((username, role.value, account.setup_code))
    return made
