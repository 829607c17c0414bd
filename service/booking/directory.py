"""Municipalities, centres and contracts: which providers a citizen may choose (SPEC rule 5)."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib.resources import files

from sqlalchemy import ColumnElement, Exists, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from service.core.clock import local_to_utc
from service.core.errors import NotContracted, NotFound
from service.models import Centre, Contract, Municipality


def bundled_municipalities() -> list[Municipality]:
    """Return the 98 municipalities shipped with the package (code, name, region)."""
    text = files("service").joinpath("data/municipalities.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return [Municipality(code=row["code"], name=row["name"], region=row["region"]) for row in rows]


def load_municipalities(session: Session) -> int:
    """Insert or update the bundled municipalities; return how many there are."""
    known = {m.code: m for m in session.scalars(select(Municipality))}
    bundled = bundled_municipalities()
    for fresh in bundled:
        existing = known.get(fresh.code)
        if existing is None:
            session.add(fresh)
        else:
            existing.name, existing.region = fresh.name, fresh.region
    session.flush()
    return len(bundled)


def municipalities(session: Session) -> Sequence[Municipality]:
    """Return every municipality in code order."""
    return session.scalars(select(Municipality).order_by(Municipality.code)).all()


def municipality(session: Session, code: str) -> Municipality:
    """Return one municipality, or raise NotFound."""
    found = session.get(Municipality, code)
    if found is None:
        raise NotFound("No municipality has that code.")
    return found


def centre(session: Session, centre_id: uuid.UUID) -> Centre:
    """Return one centre, or raise NotFound."""
    found = session.get(Centre, centre_id)
    if found is None:
        raise NotFound("No centre has that id.")
    return found


def centres(session: Session) -> Sequence[Centre]:
    """Return every centre, by name."""
    return session.scalars(select(Centre).order_by(Centre.name)).all()


def valid_on(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Return, as SQL, whether a contract holds on a day (both ends included)."""
    return and_(
        Contract.valid_from <= day, or_(Contract.valid_to.is_(None), Contract.valid_to >= day)
    )


def contracted_centres(session: Session, code: str, *, on: date) -> Sequence[Centre]:
    """Return the centres that the municipality contracts on a day, by name."""
    municipality(session, code)
    query = (
        select(Centre)
        .join(Contract, Contract.centre_id == Centre.id)
        .where(Contract.municipality_code == code, valid_on(on))
        .distinct()
        .order_by(Centre.name)
    )
    return session.scalars(query).unique().all()


def contract_ends(
    session: Session, code: str, centre_ids: Sequence[uuid.UUID], *, on: date
) -> dict[uuid.UUID, datetime]:
    """Return when each ending contract of the municipality stops holding: its end day's midnight.

    Only centres whose contract holds on ``on`` and has an end are in the
    answer; a talk that starts at or after the instant is outside the contract.
    """
    query = select(Contract.centre_id, Contract.valid_to).where(
        Contract.municipality_code == code,
        Contract.centre_id.in_(centre_ids),
        valid_on(on),
        Contract.valid_to.is_not(None),
    )
    ends: dict[uuid.UUID, datetime] = {}
    for centre_id, last in session.execute(query):
        assert last is not None, "the query keeps contracts with an end"
        ends[centre_id] = local_to_utc(last + timedelta(days=1), time(0))
    return ends


def contracts_of(session: Session, code: str, *, on: date) -> Sequence[Contract]:
    """Return a municipality's contracts that have not ended by a day, current ones first."""
    query = (
        select(Contract)
        .join(Centre, Centre.id == Contract.centre_id)
        .where(
            Contract.municipality_code == code,
            or_(Contract.valid_to.is_(None), Contract.valid_to >= on),
        )
        .order_by(Contract.valid_from, Centre.name)
    )
    return session.scalars(query).unique().all()


def municipality_known(code: ColumnElement[str]) -> Exists:
    """Return, as SQL, whether a municipality has the code."""
    return exists().where(Municipality.code == code)


def contracted(
    code: ColumnElement[str], centre_id: ColumnElement[uuid.UUID], day: ColumnElement[date]
) -> Exists:
    """Return, as SQL, whether the municipality contracts the centre on the day (SPEC rule 5)."""
    return exists().where(
        Contract.municipality_code == code, Contract.centre_id == centre_id, valid_on(day)
    )


# Both days in one round trip, built once; the parameters are given at each call.
_CONTRACTED = select(
    contracted(bindparam("code"), bindparam("centre_id"), bindparam("booked_on")),
    contracted(bindparam("code"), bindparam("centre_id"), bindparam("held_on")),
)


def refuse_uncontracted(code: str, answers: dict[date, bool]) -> None:
    """Raise NotContracted for the first day on which the municipality had no contract."""
    for day, answer in answers.items():
        if not answer:
            raise NotContracted(municipality=code, on=day.isoformat())


def require_contract(
    session: Session, code: str, centre_id: uuid.UUID, *, booked_on: date, held_on: date
) -> None:
    """Refuse a centre the home municipality does not contract on the booking and talk days."""
    parameters = {"code": code, "centre_id": centre_id, "booked_on": booked_on, "held_on": held_on}
    when_booked, when_held = session.execute(_CONTRACTED, parameters).one()
    refuse_uncontracted(code, {booked_on: when_booked, held_on: when_held})


@dataclass(frozen=True)
class Shortfall:
    """A municipality that does not meet § 101 a, stk. 2 on a day."""

    code: str
    name: str
    providers: int
    outside: int


def provider_counts(
    session: Session, *, on: date, excluding: Collection[uuid.UUID] = ()
) -> dict[str, tuple[int, int]]:
    """Count, per municipality with a contract on a day, its providers and those outside it.

    ``excluding`` names contracts to leave out, to tell what ending them would do.
    """
    query = (
        select(Contract.municipality_code, Centre.id, Centre.municipality_code)
        .join(Centre, Centre.id == Contract.centre_id)
        .where(valid_on(on))
    )
    if excluding:
        query = query.where(Contract.id.not_in(list(excluding)))
    located_in: dict[str, dict[uuid.UUID, str]] = {}
    for home, centre_id, located in session.execute(query):
        located_in.setdefault(home, {})[centre_id] = located
    return {
        home: (len(centres), sum(1 for place in centres.values() if place != home))
        for home, centres in located_in.items()
    }


def compliance_report(
    session: Session, *, on: date, excluding: Collection[uuid.UUID] = ()
) -> list[Shortfall]:
    """List municipalities without two contracted providers of which one lies outside."""
    counts = provider_counts(session, on=on, excluding=excluding)
    report = []
    for each in municipalities(session):
        providers, outside = counts.get(each.code, (0, 0))
        if providers < 2 or outside < 1:
            report.append(Shortfall(each.code, each.name, providers, outside))
    return report


def shortfall_of(
    session: Session, code: str, *, on: date, excluding: Collection[uuid.UUID] = ()
) -> Shortfall | None:
    """Return how one municipality falls short of § 101 a, stk. 2 on a day, or None."""
    report = compliance_report(session, on=on, excluding=excluding)
    return next((each for each in report if each.code == code), None)
