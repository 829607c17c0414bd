"""The demo as a newcomer meets it: talks within the hour, months of statistics, its accounts."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, sessionmaker

import crypto
from service import demo, demo_history
from service.core.clock import LOCAL
from service.demo_commands import set_up_demo
from service.models import Centre, Course, CourseStatus, Municipality, StaffAccount, Tally
from service.stats import report
from tests.support import databases
from tests.support.calls import bearer
from tests.support.world import add_api_key

README = Path(__file__).resolve().parents[2] / "README.md"

# Local starts of the demo: a weekday morning in winter time, a late summer
# evening whose hour runs past midnight, and a Sunday afternoon.
STARTS = {
    "tuesday-morning": datetime(2026, 3, 10, 9, 5, tzinfo=LOCAL),
    "late-evening": datetime(2026, 6, 17, 23, 30, tzinfo=LOCAL),
    "sunday": datetime(2026, 11, 15, 14, 20, tzinfo=LOCAL),
}
SUNDAY = STARTS["sunday"].astimezone(UTC)


def _book(client: FlaskClient, centre_id: str, slot_id: str) -> Any:
    return client.post(
        "/api/v1/courses",
        json={
            "home_municipality": "751",
            "centre_id": centre_id,
            "intro_slot_id": slot_id,
            "confirm_adult": True,
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


@pytest.mark.parametrize("local", STARTS.values(), ids=STARTS.keys())
def test_the_demo_offers_intro_talks_within_the_hour_of_its_start(
    app: Flask,
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
    local: datetime,
) -> None:
    """Whatever the hour or weekday, every centre has a free talk within the hour, bookable."""
    now = local.astimezone(UTC)
    with app.app_context():
        set_up_demo(now)
    monkeypatch.setattr("service.api.public.utcnow", lambda: now)

    providers = client.get("/api/v1/municipalities/751/providers").get_json()
    centre_id = providers[0]["centre"]["id"]
    slots = client.get(f"/api/v1/centres/{centre_id}/slots?kind=intro").get_json()
    booked = _book(client, centre_id, slots[0]["id"])

    starts = [datetime.fromisoformat(provider["next_intro_at"]) for provider in providers]
    assert len(starts) >= 2
    assert all(now < start < now + timedelta(hours=1) for start in starts)
    assert booked.status_code == 201, booked.get_json()
    assert datetime.fromisoformat(slots[0]["starts_at"]) < now + timedelta(hours=1)


def test_a_later_start_adds_talks_within_its_own_hour(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started again days later, late in the evening, the demo again has talks within the hour."""
    later = datetime(2026, 11, 18, 23, 40, tzinfo=LOCAL).astimezone(UTC)
    with app.app_context():
        set_up_demo(SUNDAY)
        set_up_demo(later)
    monkeypatch.setattr("service.api.public.utcnow", lambda: later)

    providers = client.get("/api/v1/municipalities/101/providers").get_json()

    starts = [datetime.fromisoformat(provider["next_intro_at"]) for provider in providers]
    assert starts
    assert all(later < start < later + timedelta(hours=1) for start in starts)


def _refuse_to_compute(*_args: object, **_kwargs: object) -> NoReturn:
    raise AssertionError("statistics computed on request: the demo's start did not publish them")


def _cells(answer: dict[str, Any], metric: str) -> list[object]:
    return [cell for row in answer["counts"][metric].values() for cell in row.values()]


def _by_column(answer: dict[str, Any], metric: str) -> dict[str, list[object]]:
    columns: dict[str, list[object]] = {column: [] for column in answer["columns"]}
    for row in answer["counts"][metric].values():
        for column, cell in row.items():
            columns[column].append(cell)
    return columns


def test_the_demo_publishes_months_of_made_up_statistics_with_small_cells_suppressed(
    app: Flask,
    client: FlaskClient,
    session: Session,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the start, each of the last five months has counts; 1-4 show as <5, others as x.

    The courses behind them went every way a course goes, from many home
    municipalities (those that ended long ago are purged).
    """
    with app.app_context():
        set_up_demo(SUNDAY)
    key = add_api_key(session, keyring, scopes="stats:read")
    session.commit()
    monkeypatch.setattr("service.api.stats.utcnow", lambda: SUNDAY)
    monkeypatch.setattr(report, "_patterns", _refuse_to_compute)

    answer = client.get(
        "/api/v1/stats?period=month&by=home_municipality&from=2026-06&to=2026-10",
        headers=bearer(key),
    ).get_json()
    statuses = set(session.scalars(select(Course.status)))
    homes = set(session.scalars(select(Course.home_municipality)))

    assert statuses == set(CourseStatus)
    assert len(homes) >= 10
    assert answer["columns"] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    for column in answer["columns"]:
        cells = [cell for metric in answer["counts"] for cell in _by_column(answer, metric)[column]]
        assert [cell for cell in cells if cell != 0], column
    for metric in ("requested", "approved", "started", "completed"):
        assert any(isinstance(c, int) and c >= 5 for c in _cells(answer, metric)), metric
    for metric in ("referred", "dropped", "cancelled"):
        assert [cell for cell in _cells(answer, metric) if cell != 0], metric
    every = [cell for metric in answer["counts"] for cell in _cells(answer, metric)]
    assert "<5" in every
    assert "x" in every
    assert not [cell for cell in every if isinstance(cell, int) and 0 < cell < 5]


def _readme_accounts() -> set[tuple[str, str, str, str]]:
    """Read the README's table of demo accounts: username, role, centre, municipality."""
    rows = set()
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `demo."):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            username, role = (re.sub(r".*`(.+)`.*", r"\1", cell) for cell in cells[:2])
            rows.add((username, role, cells[2], cells[3]))
    return rows


def test_the_readme_names_each_demo_accounts_role_centre_and_municipality(
    app: Flask, reader: Session
) -> None:
    """The README's table of demo accounts matches the accounts the demo creates."""
    with app.app_context():
        made = set_up_demo(SUNDAY)
    home = aliased(Municipality)
    query = (
        select(StaffAccount, Centre.name, Municipality.name, home.name, home.code)
        .outerjoin(Centre, Centre.id == StaffAccount.centre_id)
        .outerjoin(Municipality, Municipality.code == StaffAccount.municipality_code)
        .outerjoin(home, home.code == Centre.municipality_code)
    )

    created = set()
    for account, centre, own, centres_home, code in reader.execute(query):
        if own:
            where = f"{own} ({account.municipality_code})"
        else:
            where = f"{centres_home} ({code})" if centre else "every one"
        created.add((account.username, account.role.value, centre or "none", where))

    assert len(made) == 4
    assert created == _readme_accounts()


def _tallies(path: Path, keyring: crypto.Keyring) -> list[tuple[str, str, str, str, int]]:
    path.mkdir()
    engine = databases.migrated_engine(databases.sqlite_url(path))
    with sessionmaker(bind=engine)() as session:
        demo.seed(session, keyring, now=SUNDAY)
        session.commit()
        rows = session.execute(
            select(Centre.name, Tally.month, Tally.home_municipality, Tally.metric, Tally.count)
            .join(Centre, Centre.id == Tally.centre_id)
            .order_by(Centre.name, Tally.month, Tally.home_municipality, Tally.metric)
        ).all()
    engine.dispose()
    return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]


def test_the_demos_past_is_the_same_on_every_first_start(
    tmp_path: Path, keyring: crypto.Keyring
) -> None:
    """Two first starts at the same moment count the same past, month by month, centre by centre."""

    first = _tallies(tmp_path / "first", keyring)
    second = _tallies(tmp_path / "second", keyring)

    assert first == second
    assert len({month for _, month, _, _, _ in first}) >= 6


def test_each_centres_past_courses_come_from_three_home_municipalities_at_most(
    tmp_path: Path, keyring: crypto.Keyring
) -> None:
    """The centre's own municipality and two others that contract it."""

    homes: dict[str, set[str]] = {}
    for centre, _, home, _, _ in _tallies(tmp_path / "demo", keyring):
        homes.setdefault(centre, set()).add(home)

    assert sorted(homes) == sorted(demo_history.CENTRES)
    assert all(2 <= len(codes) <= 3 for codes in homes.values()), homes
