"""Statistics rows carry municipality names beside their codes: JSON, CSV and the staff page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import crypto
from service.core.clock import LOCAL
from service.models import Centre
from tests.support.calls import bearer
from tests.support.pages import Citizen
from tests.support.staff import make_staff, sign_in
from tests.support.world import HOME, World, add_api_key

THIS_MONTH = datetime.now(UTC).astimezone(LOCAL).strftime("%Y-%m")


@pytest.fixture(autouse=True)
def _year_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the statistics' clock to the first day of next year, so this year's months are over."""
    after = datetime(int(THIS_MONTH[:4]) + 1, 1, 2, 12, tzinfo=LOCAL).astimezone(UTC)
    monkeypatch.setattr("service.api.stats.utcnow", lambda: after)
    monkeypatch.setattr("service.staff.municipality.utcnow", lambda: after)


def _key(
    session: Session,
    keyring: crypto.Keyring,
    *,
    centre: Centre | None = None,
    municipality: str | None = None,
) -> str:
    key = add_api_key(
        session, keyring, scopes="stats:read", centre=centre, municipality=municipality
    )
    session.commit()
    return key


def test_a_flow_row_is_named_by_its_municipalities_and_keyed_by_their_codes(
    client: FlaskClient, session: Session, keyring: crypto.Keyring, world: World
) -> None:
    """By flow, "101>147" is "København → Frederiksberg"; the codes' names are listed apart."""
    key = _key(session, keyring)
    asked = {"by": "flow", "from": THIS_MONTH, "to": THIS_MONTH}

    answer = client.get("/api/v1/stats", query_string=asked, headers=bearer(key)).get_json()
    lines = client.get("/api/v1/stats.csv", query_string=asked, headers=bearer(key))

    assert answer["rows"]["101>147"] == "København → Frederiksberg"
    assert answer["rows"]["851>461"] == "Aalborg → Odense"
    assert answer["municipalities"]["101"] == "København"
    assert answer["municipalities"]["147"] == "Frederiksberg"
    assert len(answer["municipalities"]) == 98
    rows = list(csv.reader(io.StringIO(lines.get_data(as_text=True))))
    assert rows[0][:3] == ["metric", "row", "name"]
    assert ["requested", "101>147", "København → Frederiksberg"] in [row[:3] for row in rows]


def test_a_centres_flows_and_a_municipalitys_rows_name_what_they_hold(
    client: FlaskClient, session: Session, keyring: crypto.Keyring, world: World
) -> None:
    """A centre's flows end at its municipality; a municipality key names its own code only."""
    centre_key = _key(session, keyring, centre=session.get_one(Centre, world.centre_a))
    home_key = _key(session, keyring, municipality=HOME)
    asked = {"from": THIS_MONTH, "to": THIS_MONTH}

    flows = client.get(
        "/api/v1/stats", query_string={**asked, "by": "flow"}, headers=bearer(centre_key)
    ).get_json()
    homes = client.get("/api/v1/stats", query_string=asked, headers=bearer(home_key)).get_json()
    centres = client.get(
        "/api/v1/stats", query_string={**asked, "by": "centre"}, headers=bearer(home_key)
    ).get_json()

    assert flows["rows"]["751>101"] == "Aarhus → København"
    assert homes["rows"] == {HOME: "København", "*": "I alt"}
    assert homes["municipalities"] == {HOME: "København"}
    assert centres["municipalities"] == {}


def test_the_staff_statistics_page_and_csv_name_flows(
    client: FlaskClient, session: Session, world: World
) -> None:
    """An administrator reads "København → Frederiksberg" on the page and in its CSV."""
    staff = make_staff(session, world)
    sign_in(client, staff["admin"])
    browser = Citizen(client)
    query = f"by=flow&from={THIS_MONTH}&to={THIS_MONTH}"

    page = browser.get(f"/staff/statistics?{query}")
    download = browser.get(page.links("/staff/statistics.csv")[0])

    assert page.status == 200
    assert '<tr data-row="101&gt;147"><th scope="row">København → Frederiksberg</th>' in page.html
    rows = list(csv.reader(io.StringIO(download.html)))
    assert ["requested", "101>147", "København → Frederiksberg"] in [row[:3] for row in rows]
