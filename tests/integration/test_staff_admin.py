"""The municipality and admin pages: contracts, statistics, accounts, centres, keys, the log."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import crypto
from service.core.clock import LOCAL
from service.models import ApiKey, AuditEvent, Centre, Contract, Role, SlotKind, StaffAccount
from tests.support.calls import bearer, start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import PASSWORD, Staff, forge, make_account, make_staff, sign_in, submit
from tests.support.world import HOME, NEIGHBOUR, World, add_api_key, add_slot

THIS_MONTH = datetime.now(UTC).astimezone(LOCAL).strftime("%Y-%m")
CPR_LIKE = "Spørg efter 010190-1234 i receptionen."


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _signed_in(app: Flask, account: StaffAccount) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, account).status == 303
    return client


# Contracts


def test_a_coordinator_sees_its_contracts_and_no_warning_when_compliant(
    client: FlaskClient, staff: Staff
) -> None:
    """København contracts centres A (inside) and B (Frederiksberg): both listed, no warning."""
    sign_in(client, staff["coordinator"])

    answer = Citizen(client).get("/staff/contracts")

    assert answer.status == 200
    assert "Centre A" in answer.text()
    assert "Centre B" in answer.text()
    assert "(uden for kommunen)" in answer.text()
    assert 'id="shortfall"' not in answer.html
    assert "opfylder § 101 a, stk. 2 i dag" in answer.text()


def test_a_municipality_that_falls_short_gets_a_clear_warning(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """Without its provider outside the municipality, København falls short of § 101 a, stk. 2;
    the ended contract stays listed with its last day."""
    yesterday = datetime.now(UTC).astimezone(LOCAL).date() - timedelta(days=1)
    session.execute(
        update(Contract)
        .where(Contract.municipality_code == HOME, Contract.centre_id == world.centre_b)
        .values(valid_to=yesterday)
    )
    session.commit()
    sign_in(client, staff["coordinator"])

    answer = Citizen(client).get("/staff/contracts")

    assert answer.status == 200
    assert 'id="shortfall"' in answer.html
    assert "opfylder ikke serviceloven § 101 a, stk. 2" in answer.text()
    assert "1 leverandør, heraf 0 uden for kommunen" in answer.text()
    assert f"{yesterday:%d.%m.%Y} Ophørt" in answer.text()


def test_a_contract_that_ends_soon_warns_of_the_coming_shortfall(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """A contract ending in ten days shows the day from which the municipality falls short."""
    ends = datetime.now(UTC).astimezone(LOCAL).date() + timedelta(days=10)
    session.execute(
        update(Contract)
        .where(Contract.municipality_code == HOME, Contract.centre_id == world.centre_b)
        .values(valid_to=ends)
    )
    session.commit()
    sign_in(client, staff["coordinator"])

    answer = Citizen(client).get("/staff/contracts")

    assert 'id="shortfall"' in answer.html
    assert f"fra {ends + timedelta(days=1):%d.%m.%Y}" in answer.text()


# Statistics


def _end_of_quarter(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year}-{(number - 1) // 3 * 3 + 3:02d}"


@pytest.fixture
def quarter_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the statistics' clock, API's and page's alike, to the first day after this quarter."""
    last = _end_of_quarter(THIS_MONTH)
    year, month = int(last[:4]), int(last[5:])
    after = datetime(year + month // 12, month % 12 + 1, 1, 12, tzinfo=LOCAL).astimezone(UTC)
    monkeypatch.setattr("service.api.stats.utcnow", lambda: after)
    monkeypatch.setattr("service.staff.municipality.utcnow", lambda: after)


def _requests(
    client: FlaskClient, world: World, session: Session, *, home: str, count: int
) -> None:
    centre = session.get_one(Centre, world.centre_a)
    start = datetime.now(UTC) + timedelta(days=10)
    slots = [
        add_slot(session, centre, SlotKind.INTRO, start + timedelta(hours=n)).id
        for n in range(count)
    ]
    session.commit()
    for slot in slots:
        start_course(client, world, slot=slot, home=home)


def _cells(answer: Page, metric: str) -> dict[str, list[str]]:
    """Return one metric's table as shown: row key -> the cells, in column order."""
    table = re.search(rf'<table data-metric="{metric}">(.*?)</table>', answer.html, re.S)
    assert table, f"no table for {metric}"
    rows = re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', table.group(1), re.S)
    return {
        unescape(key): [unescape(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for key, row in rows
    }


@pytest.mark.usefixtures("quarter_is_over")
def test_the_statistics_page_shows_the_apis_cells_and_downloads_the_same_csv(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring, staff: Staff
) -> None:
    """A coordinator sees exactly what a key of its municipality gets, marks and CSV included."""
    _requests(client, world, session, home=HOME, count=7)
    _requests(client, world, session, home=NEIGHBOUR, count=2)
    key = add_api_key(session, keyring, scopes="stats:read", municipality=HOME)
    session.commit()
    query = {"period": "month", "from": THIS_MONTH, "to": THIS_MONTH, "by": "home_municipality"}
    published = client.get("/api/v1/stats", query_string=query, headers=bearer(key)).get_json()
    published_csv = client.get("/api/v1/stats.csv", query_string=query, headers=bearer(key))
    sign_in(client, staff["coordinator"])

    answer = Page(client.get("/staff/statistics", query_string=query, base_url="https://localhost"))
    download = client.get("/staff/statistics.csv", query_string=query, base_url="https://localhost")

    assert answer.status == 200
    for metric, rows in published["counts"].items():
        assert _cells(answer, metric) == {
            row: [str(values[column]) for column in published["columns"]]
            for row, values in rows.items()
        }
    assert set(_cells(answer, "requested")) == {HOME, "*"}
    assert "<5 betyder 1 til 4" in answer.text()
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.get_data() == published_csv.get_data()


@pytest.mark.usefixtures("quarter_is_over")
def test_an_administrator_sees_the_national_statistics_with_small_counts_marked(
    client: FlaskClient, world: World, session: Session, staff: Staff
) -> None:
    """Two requests from Frederiksberg show as "<5" in the national view."""
    _requests(client, world, session, home=HOME, count=7)
    _requests(client, world, session, home=NEIGHBOUR, count=2)
    sign_in(client, staff["admin"])

    answer = Citizen(client).get(f"/staff/statistics?from={THIS_MONTH}&to={THIS_MONTH}")
    rows = list(csv.reader(io.StringIO(Citizen(client).get("/staff/statistics.csv").html)))

    assert answer.status == 200
    assert "Statistik for hele landet" in answer.text()
    assert _cells(answer, "requested")[NEIGHBOUR] == ["<5"]
    assert rows[0][:3] == ["metric", "row", "name"]
    assert len({row for _, row, *_ in rows[1:]}) == 99  # 98 municipalities and the total


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=week", "Vælg måned, kvartal eller år."),
        ("from=2026-13", "Skriv en måned som ÅÅÅÅ-MM"),
        ("from=2099-01", "Fra-måneden ligger efter til-måneden."),
        ("to=2099-12", "Kun måneder, der er slut, tælles med."),
        ("from=2000-01&to=2015-01", "Højst ti år ad gangen."),
        ("by=flow&from=2020-01&to=2021-01", "højst 12 kolonner ad gangen."),
        ("by=name", "Vælg hvordan rækkerne deles op."),
    ],
)
def test_a_bad_statistics_query_is_refused_next_to_its_field(
    client: FlaskClient, staff: Staff, query: str, message: str
) -> None:
    """The page and its CSV answer 422 with the reason in Danish, as the API refuses them."""
    sign_in(client, staff["coordinator"])

    answer = Citizen(client).get(f"/staff/statistics?{query}")
    download = Citizen(client).get(f"/staff/statistics.csv?{query}")

    assert answer.status == download.status == 422
    assert message in answer.text()
    assert 'class="field-error"' in answer.html
    assert "<table" not in answer.html


# Accounts


def _setup_code(answer: Page) -> str:
    found = re.search(r'id="setup-code">([^<]+)<', answer.html)
    assert found, "no setup code on the page"
    return unescape(found.group(1))


def test_a_centre_admin_creates_a_staff_account_whose_code_is_shown_once(
    app: Flask, client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """The setup code is on the answer only; the newcomer signs in with it and sets a password."""
    sign_in(client, staff["admin_a"])
    form = {"username": "Ny.Kollega", "role": "staff", "centre": str(world.centre_a)}

    created = submit(client, "/staff/accounts", "/staff/accounts", form)
    code = _setup_code(created)
    stored = session.scalars(select(StaffAccount).where(StaffAccount.username == "ny.kollega"))
    account = stored.one()
    session.commit()  # end the read, so that SQLite's writers need not wait for it
    listing = Citizen(client).get("/staff/accounts")
    newcomer = app.test_client()
    first = sign_in(newcomer, StaffAccount(username="ny.kollega"), password=code)
    forced = Citizen(newcomer).get("/staff/")
    chosen = submit(
        newcomer, "/staff/password", "/staff/password", {"password": PASSWORD, "repeat": PASSWORD}
    )

    assert created.status == 200
    assert "Location" not in created.response.headers
    assert created.response.headers["Cache-Control"] == "no-store"
    assert code not in listing.html
    assert "ny.kollega" in listing.text()
    assert (account.role, account.centre_id, account.must_set_password) == (
        Role.STAFF,
        world.centre_a,
        True,
    )
    assert code not in account.password_hash
    assert first.status == 303
    assert forced.response.headers["Location"] == "/staff/password"
    assert chosen.status == 303
    assert Citizen(newcomer).get("/staff/").status == 200


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"username": "ny.chef", "role": "admin", "centre": "{a}"}, 422),
        # A centre admin's form has no municipality field: this one is crafted.
        ({"username": "ny.koordinator", "role": "coordinator", "municipality": HOME}, 422),
        ({"username": "ny.kollega", "role": "staff", "centre": "{b}"}, 404),
        ({"username": "ny.kollega", "role": "centre_admin", "centre": "{b}"}, 404),
    ],
)
def test_a_centre_admin_cannot_create_an_administrator_or_an_account_elsewhere(
    client: FlaskClient,
    session: Session,
    staff: Staff,
    world: World,
    form: dict[str, str],
    status: int,
) -> None:
    """Another role is refused beside the field; another centre is not found; nothing is made."""
    sign_in(client, staff["admin_a"])
    centres = {"{a}": str(world.centre_a), "{b}": str(world.centre_b)}
    sent = {name: centres.get(value, value) for name, value in form.items()}

    offered = set(sent) <= Citizen(client).get("/staff/accounts").form("/staff/accounts").names
    answer = (
        submit(client, "/staff/accounts", "/staff/accounts", sent)
        if offered
        else forge(client, "/staff/accounts", sent)
    )

    assert answer.status == status
    assert 'id="setup-code"' not in answer.html
    assert session.scalar(select(func.count()).select_from(StaffAccount)) == len(staff.accounts)


def test_an_administrator_creates_a_coordinator_and_a_taken_name_is_refused(
    client: FlaskClient, session: Session, staff: Staff
) -> None:
    """An administrator may make any role; a username already taken is refused in Danish."""
    sign_in(client, staff["admin"])
    form = {"username": "koord.ny", "role": "coordinator", "municipality": NEIGHBOUR}

    made = submit(client, "/staff/accounts", "/staff/accounts", form)
    again = submit(client, "/staff/accounts", "/staff/accounts", form)
    without = submit(
        client, "/staff/accounts", "/staff/accounts", {"username": "x.y.z", "role": "staff"}
    )

    assert made.status == 200
    assert again.status == 422
    assert "må ikke være taget" in again.text()
    assert without.status == 422
    assert "Vælg stedet" in without.text()
    account = session.scalars(select(StaffAccount).where(StaffAccount.username == "koord.ny"))
    assert account.one().municipality_code == NEIGHBOUR


def test_deactivating_an_account_ends_its_session_at_once(
    app: Flask, client: FlaskClient, session: Session, staff: Staff
) -> None:
    """The colleague's open browser is sent to sign in on its very next request."""
    colleague = _signed_in(app, staff["staff_a"])
    assert Citizen(colleague).get("/staff/").status == 200
    sign_in(client, staff["admin_a"])

    answer = submit(client, "/staff/accounts", f"/staff/accounts/{staff['staff_a'].id}/deactivate")
    after = Citizen(colleague).get("/staff/")

    assert answer.status == 303
    assert after.status == 303
    assert after.response.headers["Location"].startswith("/staff/login")
    assert sign_in(app.test_client(), staff["staff_a"]).status == 401
    assert "Lukket" in Citizen(client).get("/staff/accounts").text()


def test_another_centres_admin_cannot_deactivate_nor_one_self(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """A centre admin of centre B gets 404 for centre A's account, and 422 for its own."""
    admin_b = make_account(session, "chef.b", Role.CENTRE_ADMIN, centre=world.centre_b)
    session.commit()
    sign_in(client, admin_b)

    foreign = forge(client, f"/staff/accounts/{staff['staff_a'].id}/deactivate")
    own = forge(client, f"/staff/accounts/{admin_b.id}/deactivate")
    listing = Citizen(client).get("/staff/accounts")

    assert foreign.status == 404
    assert own.status == 422
    assert "Du kan ikke lukke din egen konto." in own.text()
    assert "staff.a" not in listing.text()
    assert "staff.b" in listing.text()
    session.expire_all()
    assert session.get_one(StaffAccount, staff["staff_a"].id).active


# Centres

CENTRE_FORM = {
    "name": "Center Nørrebro",
    "municipality": HOME,
    "address": "Nørrebrogade 100, 2200 København N",
    "entrance": "Gennem porten, dør C. Intet skilt.",
    "opening_hours": "Man-tors 9-19",
    "languages": "da, en ar",
}


def test_an_administrator_creates_a_centre(
    client: FlaskClient, session: Session, staff: Staff
) -> None:
    """The centre is stored and listed, with its languages as codes."""
    sign_in(client, staff["admin"])

    answer = submit(client, "/staff/centres", "/staff/centres", CENTRE_FORM)
    listing = Citizen(client).get("/staff/centres")

    assert answer.status == 303
    assert "Center Nørrebro" in listing.text()
    centre = session.scalars(select(Centre).where(Centre.name == "Center Nørrebro")).one()
    assert (centre.municipality_code, centre.languages) == (HOME, "da en ar")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("entrance", CPR_LIKE, "ligner et CPR-nummer"),
        ("address", "", "Skriv adressen."),
        ("languages", "dansk", "koder på to bogstaver"),
        ("municipality", "999", "Vælg kommunen"),
    ],
)
def test_a_centre_with_a_bad_field_is_refused_and_nothing_stored(
    client: FlaskClient, session: Session, staff: Staff, field: str, value: str, message: str
) -> None:
    """A CPR-like number, a missing address, unknown languages: 422, told beside the field."""
    sign_in(client, staff["admin"])

    answer = submit(client, "/staff/centres", "/staff/centres", {**CENTRE_FORM, field: value})

    assert answer.status == 422
    assert message in answer.text()
    assert session.scalar(select(func.count()).select_from(Centre)) == 3


# API keys


def _key(answer: Page) -> str:
    found: list[str] = re.findall(r"dsk_[A-Za-z0-9_-]+", answer.html)
    assert len(set(found)) == 1, "the page should show exactly one key"
    return found[0]


def test_an_api_key_is_shown_once_works_per_its_scope_and_stops_when_revoked(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """A tokens:verify key of København checks a token; stats need another scope; revoked: 401."""
    token, _ = start_course(client, world)
    sign_in(client, staff["admin"])
    form = {"name": "Sagssystem", "scopes": "tokens:verify", "reach": "municipality"}

    created = submit(client, "/staff/api-keys", "/staff/api-keys", {**form, "municipality": HOME})
    key = _key(created)
    verified = client.post("/api/v1/tokens/verify", json={"token": token}, headers=bearer(key))
    stats = client.get("/api/v1/stats", headers=bearer(key))
    listing = Citizen(client).get("/staff/api-keys")
    row = session.scalars(select(ApiKey).where(ApiKey.name == "Sagssystem")).one()
    session.commit()  # end the read, so that SQLite's writers need not wait for it
    revoked = submit(client, "/staff/api-keys", f"/staff/api-keys/{row.id}/revoke")
    refused = client.post("/api/v1/tokens/verify", json={"token": token}, headers=bearer(key))

    assert created.status == 200
    assert "Location" not in created.response.headers
    assert created.response.headers["Cache-Control"] == "no-store"
    assert verified.status_code == 200
    assert verified.get_json()["valid"] is True
    assert stats.status_code == 403
    assert "Sagssystem" in listing.text()
    assert "tokens:verify" in listing.text()
    assert "dsk_" not in listing.html
    assert (row.scopes, row.municipality_code, row.centre_id) == ("tokens:verify", HOME, None)
    assert key.encode() not in row.digest
    assert revoked.status == 303
    assert refused.status_code == 401
    assert "Tilbagekaldt" in Citizen(client).get("/staff/api-keys").text()


def test_a_national_stats_key_reads_the_statistics(client: FlaskClient, staff: Staff) -> None:
    """A stats:read key for the whole country gets 200 from GET /api/v1/stats."""
    sign_in(client, staff["admin"])
    form = {"name": "Statistikbank", "scopes": ["stats:read"], "reach": "national"}

    key = _key(submit(client, "/staff/api-keys", "/staff/api-keys", form))

    assert client.get("/api/v1/stats", headers=bearer(key)).status_code == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "X", "reach": "national"}, "Vælg mindst én rettighed."),
        ({"name": "X", "scopes": "stats:read", "reach": "centre"}, "Vælg stedet."),
        ({"name": "X", "scopes": "stats:read", "reach": "municipality"}, "Vælg kommunen."),
        ({"name": CPR_LIKE, "scopes": "stats:read", "reach": "national"}, "CPR-nummer"),
        (
            {"name": "X", "scopes": "everything", "reach": "national"},
            "Vælg blandt rettighederne på listen.",
        ),
        ({"name": "X", "scopes": "tokens:verify", "reach": "national"}, "tokens:verify"),
        (
            {"name": "X", "scopes": "centre:manage", "reach": "municipality", "municipality": HOME},
            "centre:manage",
        ),
    ],
)
def test_a_bad_api_key_form_is_refused_and_no_key_is_made(
    client: FlaskClient, session: Session, staff: Staff, form: dict[str, Any], message: str
) -> None:
    """Missing scopes or reach, or a CPR-like name: 422, and no key is shown or stored."""
    before = session.scalar(select(func.count()).select_from(ApiKey))
    session.commit()  # end the read, so that SQLite's writers need not wait for it
    sign_in(client, staff["admin"])

    answer = submit(client, "/staff/api-keys", "/staff/api-keys", form)

    assert answer.status == 422
    assert message in answer.text()
    assert "dsk_" not in answer.html
    assert session.scalar(select(func.count()).select_from(ApiKey)) == before


def test_revoking_an_unknown_key_is_not_found(client: FlaskClient, staff: Staff) -> None:
    """A key id that does not exist answers 404."""
    sign_in(client, staff["admin"])

    answer = forge(client, "/staff/api-keys/00000000-0000-4000-8000-000000000000/revoke")

    assert answer.status == 404


# The audit trail


def test_the_audit_trail_shows_the_admins_actions_and_only_a_centres_own_to_its_admin(
    app: Flask, session: Session, staff: Staff, world: World
) -> None:
    """The administrator sees every action by name; centre A's admin sees only centre A's."""
    admin = _signed_in(app, staff["admin"])
    submit(admin, "/staff/centres", "/staff/centres", CENTRE_FORM)
    _key(
        submit(
            admin,
            "/staff/api-keys",
            "/staff/api-keys",
            {"name": "Nøgle", "scopes": "stats:read", "reach": "national"},
        )
    )
    row = session.scalars(select(ApiKey).where(ApiKey.name == "Nøgle")).one()
    session.commit()  # end the read, so that SQLite's writers need not wait for it
    submit(admin, "/staff/api-keys", f"/staff/api-keys/{row.id}/revoke")
    centre_admin = _signed_in(app, staff["admin_a"])
    form = {"username": "ny.kollega", "role": "staff", "centre": str(world.centre_a)}
    code = _setup_code(submit(centre_admin, "/staff/accounts", "/staff/accounts", form))
    other = _signed_in(app, staff["staff_b"])
    assert Citizen(other).get("/staff/audit").status == 403

    everything = Citizen(admin).get("/staff/audit").text()
    own = Citizen(centre_admin).get("/staff/audit").text()

    for action in ("Sted oprettet", "API-nøgle oprettet", "API-nøgle tilbagekaldt"):
        assert action in everything
        assert action not in own
    assert "Sted Center Nørrebro" in everything
    assert "admin.a Konto oprettet Konto ny.kollega" in everything
    assert "admin.a Konto oprettet Konto ny.kollega" in own
    assert code not in everything
    assert "dsk_" not in everything


def test_the_audit_trail_pages_by_fifty_newest_first(
    client: FlaskClient, session: Session, staff: Staff, world: World
) -> None:
    """The admin's sign-in and sixty events of centre A fill a page of fifty and one of eleven."""
    start = datetime.now(UTC) - timedelta(days=1)
    session.add_all(
        AuditEvent(
            at=start + timedelta(minutes=n),
            actor_kind="staff",
            actor_id=staff["staff_a"].id,
            action="group.updated",
            object_type="group",
            object_id=world.group_a,
            centre_id=world.centre_a,
        )
        for n in range(60)
    )
    session.commit()
    sign_in(client, staff["admin_a"])

    first = Citizen(client).get("/staff/audit")
    second = Citizen(client).get("/staff/audit?side=2")

    rows = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td>[^<]*</td>\s*<td>([^<]+)</td>', first.html
    )
    assert rows[0][1] == "Logget ind"
    assert first.html.count("Gruppe ændret") == 49
    assert second.html.count("Gruppe ændret") == 11
    assert "/staff/audit?side=2" in first.html
    assert "/staff/audit?side=1" in second.html
    newest = (start + timedelta(minutes=59)).astimezone(LOCAL).strftime("%d.%m.%Y %H:%M")
    assert newest in rows[1][0]
