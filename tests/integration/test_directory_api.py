"""The directory API (scope directory:manage): contracts, centres and § 101 a, stk. 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import crypto
from service.core import errors
from service.core.clock import local_today
from service.identity import keys
from service.identity.actors import SYSTEM
from tests.support.calls import bearer
from tests.support.world import HOME, NEIGHBOUR, World, add_api_key

AARHUS = "751"
CENTRE = {
    "name": "Center Syd",
    "address": "Sydvej 2, 8000 Aarhus C",
    "entrance": "Bagindgangen.",
    "entrance_en": "The back door.",
    "languages": ["da", "en"],
}


@pytest.fixture
def national(session: Session, keyring: crypto.Keyring, world: World) -> str:
    """Return a national directory:manage key, as an administrator's integration holds."""
    key = add_api_key(session, keyring, scopes="directory:manage")
    session.commit()
    return key


@pytest.fixture
def home_key(session: Session, keyring: crypto.Keyring, world: World) -> str:
    """Return København's directory:manage key, as its coordinator's integration holds."""
    key = add_api_key(session, keyring, scopes="directory:manage", municipality=HOME)
    session.commit()
    return key


def _today() -> str:
    return local_today(datetime.now(UTC)).isoformat()


def test_a_key_without_the_scope_is_refused(client: FlaskClient, world: World) -> None:
    """A centre:manage key gets 403 scope_missing on every directory route."""
    answer = client.get(f"/api/v1/contracts?municipality={HOME}", headers=bearer(world.manage_a))

    assert answer.status_code == 403
    assert answer.get_json()["code"] == "scope_missing"


def test_a_national_key_makes_a_centre_and_contracts_it_for_a_municipality(
    client: FlaskClient, national: str
) -> None:
    """The new centre is offered to Århus's citizens as soon as the contract is made."""
    made = client.post(
        "/api/v1/centres", json={**CENTRE, "municipality_code": AARHUS}, headers=bearer(national)
    )
    centre = made.get_json()
    contract = client.post(
        "/api/v1/contracts",
        json={"municipality": AARHUS, "centre_id": centre["id"], "valid_from": _today()},
        headers=bearer(national),
    )

    assert made.status_code == 201
    assert centre["entrance_en"] == "The back door."
    assert contract.status_code == 201
    assert contract.get_json()["valid_to"] is None
    offered = client.get(f"/api/v1/municipalities/{AARHUS}/providers").get_json()
    assert [p["centre"]["id"] for p in offered] == [centre["id"]]


def test_a_municipality_key_reaches_its_own_contracts_only(
    client: FlaskClient, home_key: str, world: World
) -> None:
    """København's key lists its contracts without naming itself; Frederiksberg's are not found."""
    own = client.get("/api/v1/contracts", headers=bearer(home_key))
    foreign = client.get(f"/api/v1/contracts?municipality={NEIGHBOUR}", headers=bearer(home_key))
    centre = client.post(
        "/api/v1/centres", json={**CENTRE, "municipality_code": HOME}, headers=bearer(home_key)
    )

    assert own.status_code == 200
    assert {c["centre_name"] for c in own.get_json()} == {"Centre A", "Centre B"}
    assert foreign.status_code == 404
    assert centre.status_code == 404


def test_ending_the_last_outside_provider_answers_409_until_confirmed(
    client: FlaskClient, home_key: str, world: World
) -> None:
    """The refusal names the shortfall; sent again with confirm, the contract ends."""
    [contract] = [
        c
        for c in client.get("/api/v1/contracts", headers=bearer(home_key)).get_json()
        if c["centre_name"] == "Centre B"
    ]
    path = f"/api/v1/contracts/{contract['id']}/end"

    warned = client.post(path, json={"ends_on": _today()}, headers=bearer(home_key))
    confirmed = client.post(
        path, json={"ends_on": _today(), "confirm": True}, headers=bearer(home_key)
    )

    assert warned.status_code == 409
    assert warned.get_json()["code"] == "compliance_confirmation_required"
    assert warned.get_json()["errors"]["shortfalls"] == [
        {"code": HOME, "name": "København", "providers": 1, "outside": 0}
    ]
    assert confirmed.status_code == 200
    yesterday = local_today(datetime.now(UTC)) - timedelta(days=1)
    assert confirmed.get_json()["valid_to"] == yesterday.isoformat()
    standing = client.get("/api/v1/compliance", headers=bearer(home_key)).get_json()
    assert standing == [
        {"code": HOME, "name": "København", "providers": 1, "outside": 0, "complies": False}
    ]


def test_a_start_in_the_past_answers_422_by_the_field(
    client: FlaskClient, national: str, world: World
) -> None:
    """Yesterday as the first day is refused with the field named."""
    yesterday = (local_today(datetime.now(UTC)) - timedelta(days=1)).isoformat()

    answer = client.post(
        "/api/v1/contracts",
        json={"municipality": AARHUS, "centre_id": str(world.centre_a), "valid_from": yesterday},
        headers=bearer(national),
    )

    assert answer.status_code == 422
    assert answer.get_json()["code"] == "contract_start_in_past"
    assert "valid_from" in answer.get_json()["errors"]


def test_a_national_key_edits_and_closes_a_centre(
    client: FlaskClient, national: str, world: World
) -> None:
    """The edit replaces the texts; closing with confirm ends centre A's contracts that day."""
    edited = client.put(
        f"/api/v1/centres/{world.centre_a}",
        json={"name": "Centre A", "address": "Testvej 1", "opening_hours_en": "Mon-Fri"},
        headers=bearer(national),
    )
    closed = client.post(
        f"/api/v1/centres/{world.centre_a}/close",
        json={"closed_from": _today(), "confirm": True},
        headers=bearer(national),
    )

    assert edited.status_code == 200
    assert edited.get_json()["opening_hours_en"] == "Mon-Fri"
    assert closed.status_code == 200
    assert closed.get_json()["closed_from"] == _today()
    offered = client.get(f"/api/v1/municipalities/{HOME}/providers").get_json()
    assert [p["centre"]["name"] for p in offered] == ["Centre B"]


def test_a_centre_text_with_personal_data_answers_422(client: FlaskClient, national: str) -> None:
    """A CPR-like number in the English entrance is refused, by the field."""
    answer = client.post(
        "/api/v1/centres",
        json={**CENTRE, "municipality_code": AARHUS, "entrance_en": "Ask for 010190-1234."},
        headers=bearer(national),
    )

    assert answer.status_code == 422
    assert answer.get_json()["code"] == "personal_data_refused"
    assert "entrance_en" in answer.get_json()["errors"]


def test_a_centre_cannot_hold_the_directory_scope(
    session: Session, keyring: crypto.Keyring, world: World
) -> None:
    """Contracts belong to municipalities: a directory:manage key bound to a centre is refused."""
    with pytest.raises(errors.InvalidInput) as refused:
        keys.create(
            session,
            keyring,
            SYSTEM,
            name="Centre A",
            scopes=["directory:manage"],
            centre_id=world.centre_a,
            now=datetime.now(UTC),
        )

    assert refused.value.data == {"field": "scope_reach"}
