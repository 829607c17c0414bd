"""Contracts between municipalities and centres: made and ended by coordinators and administrators.

A municipality's citizens may choose the centres it contracts on the day
(SPEC rule 5), so a contract made or ended here changes what the next
booking is offered and allowed at once. A contract is never deleted: it
ends, and stays listed with its period. Ending one on a day means that
from that day it no longer holds (``valid_to`` is the day before); what was
booked before stays booked.

Reach: an actor bound to a municipality (a coordinator, a municipality's
key) manages that municipality's contracts; an actor bound to neither a
centre nor a municipality (an administrator, a national key, the CLI)
manages every one. Anything else answers as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.booking import directory
from service.core.clock import local_today
from service.core.errors import DomainError, InvalidInput, NotFound
from service.identity import audit
from service.identity.actors import Actor
from service.models import Centre, Contract, Municipality

DAY = timedelta(days=1)


class ContractOverlaps(InvalidInput):
    """The municipality already contracts the centre for part of that period."""

    code = "contract_overlaps"
    message = "The municipality already has a contract with this centre that runs then."


class StartInPast(InvalidInput):
    """A contract starts today at the earliest: what was offered before stays as it was."""

    code = "contract_start_in_past"
    message = "A contract starts today at the earliest."


class EndInPast(InvalidInput):
    """A contract ends today at the earliest: what was offered before stays as it was."""

    code = "contract_end_in_past"
    message = "A contract ends today at the earliest."


class EndNotAfterStart(InvalidInput):
    """The first day without the contract comes after its first day."""

    code = "contract_end_before_start"
    message = "A contract ends on the day after its start at the earliest."


class AlreadyEnded(InvalidInput):
    """The contract ends on that day or earlier already."""

    code = "contract_already_ends"
    message = "The contract already ends on that day or earlier."


class CentreClosed(InvalidInput):
    """The centre is closed by then: it offers no new courses."""

    code = "centre_closed"
    message = "The centre is closed from that day."


class BreaksCompliance(DomainError):
    """The change leaves a municipality short of § 101 a, stk. 2; confirm it to save it anyway.

    ``data`` holds ``on`` (the first day short) and ``shortfalls``: for each
    municipality, its code, name, and the providers and outside providers it
    would have left.
    """

    code = "compliance_confirmation_required"
    message = (
        "After this change the municipality no longer contracts two providers of which one "
        "lies outside it (serviceloven § 101 a, stk. 2). Confirm to save it anyway."
    )


@dataclass(frozen=True)
class Standing:
    """How one municipality stands with § 101 a, stk. 2 on a day."""

    code: str
    name: str
    providers: int
    outside: int

    @property
    def complies(self) -> bool:
        """Tell whether it has two providers of which one lies outside."""
        return self.providers >= 2 and self.outside >= 1


def require_municipality(actor: Actor, code: str) -> None:
    """Refuse a municipality outside the actor's reach, as if it did not exist."""
    if actor.centre_id is not None:
        raise NotFound()
    if actor.municipality_code is not None and actor.municipality_code != code:
        raise NotFound()


def require_national(actor: Actor) -> None:
    """Refuse an actor bound to a centre or a municipality: only a national one manages centres."""
    if actor.centre_id is not None or actor.municipality_code is not None:
        raise NotFound()


def listing(session: Session, actor: Actor, code: str) -> Sequence[Contract]:
    """Return every contract of a municipality, ended ones included, newest start first."""
    require_municipality(actor, code)
    directory.municipality(session, code)
    query = (
        select(Contract)
        .join(Centre, Centre.id == Contract.centre_id)
        .where(Contract.municipality_code == code)
        .order_by(Contract.valid_from.desc(), Centre.name)
    )
    return session.scalars(query).unique().all()


def contract(session: Session, actor: Actor, contract_id: uuid.UUID) -> Contract:
    """Return one contract within the actor's reach, or raise NotFound."""
    found = session.get(Contract, contract_id)
    if found is None:
        raise NotFound("No contract has that id.")
    require_municipality(actor, found.municipality_code)
    return found


def standings(session: Session, actor: Actor, *, on: date) -> list[Standing]:
    """Return how each municipality in reach stands with § 101 a, stk. 2 on a day, by code."""
    counts = directory.provider_counts(session, on=on)
    return [
        Standing(each.code, each.name, *counts.get(each.code, (0, 0)))
        for each in directory.municipalities(session)
        if actor.municipality_code in (None, each.code) and actor.centre_id is None
    ]


def lock_centre(session: Session, centre_id: uuid.UUID) -> Centre | None:
    """Lock a centre's row (not its municipality's) and return it freshly read, or None."""
    return session.scalar(
        select(Centre)
        .where(Centre.id == centre_id)
        .with_for_update(of=Centre)
        .execution_options(populate_existing=True)
    )


def lock(session: Session, codes: Sequence[str]) -> None:
    """Serialise contract changes per municipality (PostgreSQL row locks; SQLite writes one at
    a time already), so two changes cannot both pass the overlap or compliance check."""
    session.execute(
        select(Municipality.code)
        .where(Municipality.code.in_(sorted(set(codes))))
        .order_by(Municipality.code)
        .with_for_update()
    ).all()


def refuse_breaking(
    session: Session, codes: Sequence[str], ending: Sequence[uuid.UUID], *, on: date
) -> None:
    """Raise BreaksCompliance when ending ``ending`` from ``on`` leaves a municipality short."""
    after = directory.compliance_report(session, on=on, excluding=ending)
    short = [each for each in after if each.code in set(codes)]
    if short:
        raise BreaksCompliance(
            on=on.isoformat(),
            shortfalls=[
                {"code": s.code, "name": s.name, "providers": s.providers, "outside": s.outside}
                for s in short
            ],
        )


def add(
    session: Session,
    actor: Actor,
    *,
    municipality_code: str,
    centre_id: uuid.UUID,
    valid_from: date,
    now: datetime,
) -> Contract:
    """Contract a centre for a municipality from a day (today or later), running until ended."""
    require_municipality(actor, municipality_code)
    if session.get(Municipality, municipality_code) is None:
        raise InvalidInput("No municipality has that code.", field="municipality")
    # The centre's row first, then the municipality's, as closing a centre takes them.
    centre = lock_centre(session, centre_id)
    if centre is None:
        raise InvalidInput("No centre has that id.", field="centre_id")
    if valid_from < local_today(now):
        raise StartInPast(field="valid_from")
    if centre.closed_on(valid_from):
        raise CentreClosed(field="centre_id")
    lock(session, [municipality_code])
    clash = session.scalar(
        select(Contract.id).where(
            Contract.municipality_code == municipality_code,
            Contract.centre_id == centre_id,
            or_(Contract.valid_to.is_(None), Contract.valid_to >= valid_from),
        )
    )
    if clash is not None:
        raise ContractOverlaps(field="valid_from")
    made = Contract(
        municipality_code=municipality_code,
        centre_id=centre_id,
        valid_from=valid_from,
        # A centre that closes later ends its contracts the day before.
        valid_to=centre.closed_from - DAY if centre.closed_from else None,
    )
    session.add(made)
    session.flush()
    audit_contract(session, actor, "contract.created", made, now=now)
    return made


def end(
    session: Session,
    actor: Actor,
    contract_id: uuid.UUID,
    *,
    ends_on: date,
    confirmed: bool,
    now: datetime,
) -> Contract:
    """End a contract from a day on: from ``ends_on`` its municipality's citizens may not book it.

    Bookings made before stay valid. A change that leaves the municipality
    short of § 101 a, stk. 2 on that day raises BreaksCompliance unless
    ``confirmed``.
    """
    found = contract(session, actor, contract_id)
    lock(session, [found.municipality_code])
    session.refresh(found)
    check_end(found, ends_on, today=local_today(now))
    if not confirmed:
        refuse_breaking(session, [found.municipality_code], [found.id], on=ends_on)
    found.valid_to = ends_on - DAY
    session.flush()
    audit_contract(session, actor, "contract.ended", found, now=now)
    return found


def check_end(found: Contract, ends_on: date, *, today: date) -> None:
    """Refuse an end day in the past, not after the start, or not before the end already set."""
    if ends_on < today:
        raise EndInPast(field="ends_on")
    if ends_on <= found.valid_from:
        raise EndNotAfterStart(field="ends_on")
    if found.valid_to is not None and ends_on > found.valid_to:
        raise AlreadyEnded(field="ends_on", ends_on=(found.valid_to + DAY).isoformat())


def audit_contract(
    session: Session, actor: Actor, action: str, found: Contract, *, now: datetime
) -> None:
    audit.record(
        session,
        actor,
        action,
        object_type="contract",
        object_id=found.id,
        centre_id=found.centre_id,
        now=now,
    )
