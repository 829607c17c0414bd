"""Centres created, edited and closed by a national actor; their texts carry no personal data."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import catalogue, centres, contracts
from service.core import errors
from service.core.clock import local_today
from service.identity.actors import Actor
from service.models import AuditEvent, Centre, Contract
from tests.rules.steps import request_course
from tests.support.world import HOME, NEIGHBOUR, World

ADMIN = Actor(kind="staff", id=uuid.uuid4())
TEXTS = centres.CentreTexts(
    name="Center Nord",
    address="Nørrebrogade 1, 2200 København N",
    entrance="Gennem porten, dør C.",
    entrance_en="Through the gate, door C.",
    opening_hours="Man-fre 9-17",
    languages="da, EN",
)


def test_an_administrator_creates_a_centre_with_danish_and_english_texts(
    session: Session, world: World, now: datetime
) -> None:
    """The texts are kept as typed; English opening hours fall back to the Danish ones."""

    made = centres.create(session, ADMIN, municipality_code=HOME, texts=TEXTS, now=now)

    assert (made.entrance_in("en"), made.entrance_in("da")) == (
        "Through the gate, door C.",
        "Gennem porten, dør C.",
    )
    assert made.opening_hours_in("en") == "Man-fre 9-17"
    assert made.languages == "da en"
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.object_id == made.id)).all()
    assert event.action == "centre.created"


@pytest.mark.parametrize("field", ["entrance", "entrance_en", "opening_hours_en", "name"])
def test_a_centre_text_holding_a_phone_number_is_refused_by_its_field(
    session: Session, world: World, now: datetime, field: str
) -> None:
    """Each text citizens read, English ones included, goes through the personal-data check."""
    texts = centres.CentreTexts(**{**TEXTS.__dict__, field: "Ring 12 34 56 78"})

    with pytest.raises(errors.PersonalDataRefused) as refused:
        centres.create(session, ADMIN, municipality_code=HOME, texts=texts, now=now)

    assert refused.value.data == {"field": field}
    assert session.scalar(select(Centre).where(Centre.name == "Ring 12 34 56 78")) is None


def test_an_edit_changes_what_citizens_read_at_once(
    session: Session, world: World, now: datetime
) -> None:
    """The provider list shows centre A's new English entrance text right after the edit."""
    texts = centres.CentreTexts(
        name="Centre A", address="Testvej 1", entrance="Dør B.", entrance_en="Door B."
    )

    centres.update(session, ADMIN, world.centre_a, texts, now=now)

    [shown] = [
        p.centre for p in catalogue.providers(session, HOME, now=now) if p.centre.name == "Centre A"
    ]
    assert shown.entrance_in("en") == "Door B."


def test_only_a_national_actor_manages_centres(
    session: Session, world: World, now: datetime, staff_a: Actor
) -> None:
    """A coordinator or a centre's staff cannot create or edit a centre: none is there for them."""
    coordinator = Actor(kind="staff", id=uuid.uuid4(), municipality_code=HOME)

    for stranger in (coordinator, staff_a):
        with pytest.raises(errors.NotFound):
            centres.create(session, stranger, municipality_code=HOME, texts=TEXTS, now=now)
        with pytest.raises(errors.NotFound):
            centres.update(session, stranger, world.centre_a, TEXTS, now=now)

    assert session.get_one(Centre, world.centre_a).name == "Centre A"


def test_closing_a_centre_ends_its_contracts_and_refuses_new_courses_from_that_day(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Centre A closes from the third intro's day: its two contracts end the day before."""
    third = local_today(now + timedelta(days=3))

    ended = centres.close(
        session, ADMIN, world.centre_a, closed_from=third, confirmed=True, now=now
    )

    assert sorted(c.municipality_code for c in ended) == [HOME, NEIGHBOUR]
    assert {c.valid_to for c in ended} == {third - timedelta(days=1)}
    with pytest.raises(errors.NotContracted):
        request_course(session, keyring, world, now=now, slot=world.intro_a[2])
    with pytest.raises(contracts.CentreClosed):
        contracts.add(
            session,
            ADMIN,
            municipality_code="751",
            centre_id=world.centre_a,
            valid_from=third,
            now=now,
        )


def test_closing_a_centre_that_breaks_compliance_asks_for_confirmation(
    session: Session, world: World, now: datetime
) -> None:
    """Without centre A, København and Frederiksberg keep one provider each: nothing is saved."""
    with pytest.raises(contracts.BreaksCompliance) as warned:
        centres.close(
            session, ADMIN, world.centre_a, closed_from=local_today(now), confirmed=False, now=now
        )

    assert [s["code"] for s in warned.value.data["shortfalls"]] == [HOME, NEIGHBOUR]
    assert session.get_one(Centre, world.centre_a).closed_from is None
    assert session.scalars(
        select(Contract.valid_to).where(Contract.centre_id == world.centre_a)
    ).all() == [None, None]


def test_a_centre_closes_today_at_the_earliest_and_only_once(
    session: Session, world: World, now: datetime
) -> None:
    """Yesterday is refused; closing again on a later day than the one set is refused."""
    today = local_today(now)
    with pytest.raises(centres.CloseInPast):
        centres.close(
            session,
            ADMIN,
            world.centre_c,
            closed_from=today - timedelta(days=1),
            confirmed=True,
            now=now,
        )
    centres.close(session, ADMIN, world.centre_c, closed_from=today, confirmed=True, now=now)

    with pytest.raises(centres.ClosedAlready):
        centres.close(
            session,
            ADMIN,
            world.centre_c,
            closed_from=today + timedelta(days=1),
            confirmed=True,
            now=now,
        )


def test_a_centre_with_a_contract_that_starts_on_the_closing_day_cannot_close_then(
    session: Session, world: World, now: datetime
) -> None:
    """Århus's contract with centre C begins in ten days: closing C from that day is refused."""
    begins = local_today(now) + timedelta(days=10)
    contracts.add(
        session,
        ADMIN,
        municipality_code="751",
        centre_id=world.centre_c,
        valid_from=begins,
        now=now,
    )

    with pytest.raises(centres.ContractStartsLater):
        centres.close(session, ADMIN, world.centre_c, closed_from=begins, confirmed=True, now=now)

    assert session.get_one(Centre, world.centre_c).closed_from is None
