"""The contract and centre pages, each form submitted from the page that shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.clock import local_today
from service.models import AuditEvent, Centre, Contract
from tests.support.pages import Citizen
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import HOME, World

AARHUS = "751"


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _today() -> str:
    return local_today(datetime.now(UTC)).isoformat()


def _contract(session: Session, code: str, centre: object) -> Contract:
    session.expire_all()
    found = session.scalars(
        select(Contract).where(Contract.municipality_code == code, Contract.centre_id == centre)
    ).one()
    session.commit()  # end the read, so that the app's writes on SQLite need not wait
    return found


def test_a_coordinator_contracts_a_centre_from_its_page(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """The new contract is listed as valid from today, and the citizen's places list shows it."""
    sign_in(client, staff["coordinator"])
    browser = Citizen(client)
    page = browser.get("/staff/contracts")

    answer = browser.submit(
        page, f"/staff/contracts/{HOME}", {"centre": str(world.centre_c), "valid_from": _today()}
    )

    assert answer.status == 303
    listing = browser.get(f"/staff/contracts/{HOME}").text()
    assert "Centre C" in listing
    places = Citizen(client).get(f"/book/places?municipality={HOME}")
    assert "Centre C" in places.text()


def test_a_bad_contract_keeps_what_was_typed_and_says_why_by_the_field(
    client: FlaskClient, staff: Staff, world: World
) -> None:
    """A second contract with centre A while the first runs: 422, the message by the day field."""
    sign_in(client, staff["coordinator"])
    browser = Citizen(client)
    page = browser.get(f"/staff/contracts/{HOME}")

    answer = browser.submit(
        page, f"/staff/contracts/{HOME}", {"centre": str(world.centre_a), "valid_from": _today()}
    )

    assert answer.status == 422
    assert 'id="valid_from-error"' in answer.html
    assert "har allerede en kontrakt med stedet" in answer.text()
    assert f'<option selected value="{world.centre_a}">' in answer.html
    assert f'value="{_today()}"' in answer.html


def test_a_start_in_the_past_is_refused_by_the_field(
    client: FlaskClient, staff: Staff, world: World
) -> None:
    """Yesterday as the first day answers 422 with the reason."""
    sign_in(client, staff["admin"])
    browser = Citizen(client)
    page = browser.get(f"/staff/contracts/{AARHUS}")
    yesterday = (local_today(datetime.now(UTC)) - timedelta(days=1)).isoformat()

    answer = browser.submit(
        page, f"/staff/contracts/{AARHUS}", {"centre": str(world.centre_a), "valid_from": yesterday}
    )

    assert answer.status == 422
    assert "En kontrakt kan tidligst gælde fra i dag." in answer.text()


def test_ending_the_last_outside_provider_warns_and_saves_only_when_confirmed(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """The end shows a warning page (409, nothing saved); its own form saves it when confirmed."""
    sign_in(client, staff["coordinator"])
    browser = Citizen(client)
    page = browser.get(f"/staff/contracts/{HOME}")
    contract = _contract(session, HOME, world.centre_b)

    warning = browser.submit(
        page, f"/staff/contracts/{HOME}/end", {"contract": str(contract.id), "ends_on": _today()}
    )

    assert warning.status == 409
    assert "bryder serviceloven § 101 a, stk. 2" in warning.text()
    assert "København (101): 1 leverandør, heraf 0 uden for kommunen" in warning.text()
    assert _contract(session, HOME, world.centre_b).valid_to is None

    saved = browser.submit(warning, f"/staff/contracts/{HOME}/end", {})

    assert saved.status == 303
    ended = _contract(session, HOME, world.centre_b)
    assert ended.valid_to == local_today(datetime.now(UTC)) - timedelta(days=1)
    after = browser.get(f"/staff/contracts/{HOME}")
    assert "Ophørt" in after.text()
    assert 'id="shortfall"' in after.html
    events = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ended.id))
    assert list(events) == ["contract.ended"]


def test_another_municipalitys_page_is_not_found_for_a_coordinator(
    client: FlaskClient, staff: Staff
) -> None:
    """København's coordinator gets 404 for Århus's contracts, as if they did not exist."""
    sign_in(client, staff["coordinator"])

    assert Citizen(client).get(f"/staff/contracts/{AARHUS}").status == 404


def test_an_administrator_sees_every_municipalitys_standing_and_chooses_one(
    client: FlaskClient, staff: Staff
) -> None:
    """The overview counts complying municipalities and lists those short; the chooser opens one."""
    sign_in(client, staff["admin"])
    browser = Citizen(client)

    overview = browser.get("/staff/contracts")
    chosen = browser.get(f"/staff/contracts?municipality={AARHUS}")

    assert "3 af 98 kommuner" in overview.text()
    assert "Aarhus (751)" in overview.text()
    assert chosen.status == 303
    assert chosen.response.headers["Location"] == f"/staff/contracts/{AARHUS}"


def test_an_administrator_creates_a_centre_and_edits_its_english_text(
    client: FlaskClient, session: Session, staff: Staff
) -> None:
    """The centre is made from the list page, then its English entrance changed on its own page."""
    sign_in(client, staff["admin"])
    browser = Citizen(client)
    form = {
        "name": "Center Nord",
        "municipality": HOME,
        "address": "Nørrebrogade 1, 2200 København N",
        "entrance": "Gården, dør C.",
        "entrance_en": "The yard, door C.",
        "opening_hours": "Man-fre 9-17",
        "opening_hours_en": "",
        "languages": "da en",
    }

    made = browser.submit(browser.get("/staff/centres"), "/staff/centres", form)
    centre = session.scalars(select(Centre).where(Centre.name == "Center Nord")).one()
    session.commit()  # end the read, so that the app's writes on SQLite need not wait
    page = browser.get(f"/staff/centres/{centre.id}")
    edited = browser.submit(page, f"/staff/centres/{centre.id}", {"entrance_en": "Door C."})

    assert (made.status, edited.status) == (303, 303)
    session.expire_all()
    assert session.get_one(Centre, centre.id).entrance_in("en") == "Door C."
    assert session.get_one(Centre, centre.id).opening_hours_in("en") == "Man-fre 9-17"


def test_a_centre_edit_with_personal_data_is_refused_and_keeps_the_text(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """A phone number in the English entrance: 422 by the field, the typed text still there."""
    sign_in(client, staff["admin"])
    browser = Citizen(client)
    page = browser.get(f"/staff/centres/{world.centre_a}")
    typed = "Call 12 34 56 78 at the door."

    answer = browser.submit(page, f"/staff/centres/{world.centre_a}", {"entrance_en": typed})

    assert answer.status == 422
    assert 'id="entrance_en-error"' in answer.html
    assert typed in answer.html
    session.expire_all()
    assert session.get_one(Centre, world.centre_a).entrance_en == ""


def test_closing_a_centre_warns_then_ends_its_contracts_when_confirmed(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """Closing centre A leaves two municipalities short: the warning, then its form closes it."""
    sign_in(client, staff["admin"])
    browser = Citizen(client)
    page = browser.get(f"/staff/centres/{world.centre_a}")

    warning = browser.submit(
        page, f"/staff/centres/{world.centre_a}/close", {"closed_from": _today()}
    )
    saved = browser.submit(warning, f"/staff/centres/{world.centre_a}/close", {})

    assert warning.status == 409
    assert "Frederiksberg (147)" in warning.text()
    assert saved.status == 303
    session.expire_all()
    assert session.get_one(Centre, world.centre_a).closed_from == local_today(datetime.now(UTC))
    assert "Lukket" in browser.get("/staff/centres").text()


def test_the_citizen_reads_the_english_entrance_and_the_danish_hours_where_none_is_english(
    client: FlaskClient, session: Session, world: World
) -> None:
    """In English, the places page shows the English entrance and falls back to the Danish texts."""
    centre = session.get_one(Centre, world.centre_a)
    centre.entrance_en, centre.opening_hours = "Through the gate.", "Man-fre 9-17"
    session.commit()
    citizen = Citizen(client)
    landing = citizen.get("/book")
    citizen.submit(landing, "/language", {"language": "en"})

    english = citizen.get(f"/book/places?municipality={HOME}").text()

    assert "Entrance: Through the gate." in english
    assert "Opening hours: Man-fre 9-17" in english
    # Centre B has no English texts: its Danish ones are shown.
    assert "Entrance: Gennem porten. Opening hours: 9-17" in english
