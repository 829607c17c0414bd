"""The never_came metric: counted apart, suppressed like every metric, published by the purge."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.cli import cli
from service.core.clock import LOCAL
from service.models import StatsPublished, Tally
from service.stats import store
from tests.support.calls import bearer
from tests.support.pages import Page
from tests.support.staff import make_staff, sign_in
from tests.support.world import HOME, NEIGHBOUR, World, add_api_key

THIS_MONTH = datetime.now(UTC).astimezone(LOCAL).strftime("%Y-%m")


def _after_this_month() -> datetime:
    year, month = int(THIS_MONTH[:4]), int(THIS_MONTH[5:])
    return datetime(year + month // 12, month % 12 + 1, 2, 12, tzinfo=LOCAL).astimezone(UTC)


@pytest.fixture(autouse=True)
def _month_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set every statistics clock (API, staff page, purge) to a day after this month."""
    for where in ("service.api.stats", "service.staff.municipality", "service.ops"):
        monkeypatch.setattr(f"{where}.utcnow", _after_this_month)


@pytest.fixture
def counted(session: Session, world: World) -> None:
    """Count seven courses from København and two from Frederiksberg as never came."""
    for home, count in ((HOME, 7), (NEIGHBOUR, 2)):
        session.add(
            Tally(
                month=THIS_MONTH,
                home_municipality=home,
                centre_id=world.centre_a,
                metric="never_came",
                count=count,
            )
        )
    session.commit()


@pytest.fixture
def national_key(session: Session, keyring: crypto.Keyring, world: World) -> str:
    """Return a stats key with national reach."""
    key = add_api_key(session, keyring, scopes="stats:read")
    session.commit()
    return key


def _stats(client: FlaskClient, key: str, suffix: str = "") -> Any:
    params = {"from": THIS_MONTH, "to": THIS_MONTH}
    response = client.get(f"/api/v1/stats{suffix}", query_string=params, headers=bearer(key))
    assert response.status_code == 200
    return response


@pytest.mark.usefixtures("counted")
def test_never_came_is_a_column_of_its_own_with_small_cells_suppressed(
    client: FlaskClient, national_key: str
) -> None:
    """Seven show; two show as "<5" with a complement hidden; no other metric counts them."""
    counts = _stats(client, national_key).get_json()["counts"]
    rows = list(csv.reader(io.StringIO(_stats(client, national_key, ".csv").get_data(True))))

    never_came = counts["never_came"]
    assert never_came[HOME][THIS_MONTH] == 7
    assert never_came[NEIGHBOUR][THIS_MONTH] == "<5"
    assert sum(isinstance(cells[THIS_MONTH], str) for cells in never_came.values()) >= 2
    assert counts["cancelled"]["*"][THIS_MONTH] == 0
    assert ["never_came", HOME, "København", "7"] in rows
    assert ["never_came", NEIGHBOUR, "Frederiksberg", "<5"] in rows


@pytest.mark.usefixtures("counted")
def test_the_published_store_holds_never_came_after_the_purge(
    app: Flask, client: FlaskClient, session: Session, national_key: str
) -> None:
    """After `diskret purge` the published row holds the column, and the API answers from it."""
    computed = _stats(client, national_key).get_json()

    result = CliRunner().invoke(cli, ["purge"], obj=ScriptInfo(create_app=lambda: app))
    body = session.scalars(
        select(StatsPublished.body).where(
            StatsPublished.reach == "/",
            StatsPublished.view == "home_municipality",
            StatsPublished.period == "month",
        )
    ).one()
    session.commit()
    published = _stats(client, national_key).get_json()

    assert result.exit_code == 0, result.output
    assert store.decode(body)["counts"]["never_came"][NEIGHBOUR][THIS_MONTH] == "<5"
    assert published == computed


@pytest.mark.usefixtures("counted")
def test_the_statistics_page_shows_never_came_in_danish(
    client: FlaskClient, session: Session, world: World, national_key: str
) -> None:
    """An administrator's page has the table "Udeblev fra første samtale" with the API's cells."""
    staff = make_staff(session, world)
    sign_in(client, staff["admin"])
    query = {"period": "month", "from": THIS_MONTH, "to": THIS_MONTH}

    page = Page(client.get("/staff/statistics", query_string=query, base_url="https://localhost"))

    assert page.status == 200
    assert '<h2 id="metric-never_came">Udeblev fra første samtale</h2>' in page.html
    assert f'<tr data-row="{NEIGHBOUR}"><th scope="row">' in page.html.split("metric-never_came")[1]
    assert "&lt;5" in page.html.split('data-metric="never_came"')[1].split("</table>")[0]


def test_the_openapi_document_describes_the_never_came_counts(client: FlaskClient) -> None:
    """The statistics schema names each metric, never_came among them."""
    document = client.get("/api/v1/openapi.json").get_json()

    counts = document["components"]["schemas"]["StatsCounts"]["properties"]

    assert "never_came" in counts
    assert "intro talk" in counts["never_came"]["description"]
