"""Statistics over HTTP: counted as the pathway moves, suppressed when small, read-only."""

from __future__ import annotations

import csv
import io
import re
import uuid
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

import crypto
from service.api.stats import KEPT
from service.booking.pathway import Decision, decide
from service.booking.tally import month_of
from service.core.clock import LOCAL
from service.identity.actors import SYSTEM, Actor
from service.models import (
    Centre,
    Course,
    SlotKind,
    StatsPublished,
    Tally,
    WaitTally,
)
from service.stats import report as report_module
from service.stats import store, suppression
from service.stats.export import to_csv
from service.stats.report import Period, Query, View, publish, report
from tests.support.calls import bearer, hold_intro, start_course
from tests.support.sql import sent_to
from tests.support.world import NEIGHBOUR, World, add_api_key, add_slot

THIS_MONTH = datetime.now(UTC).astimezone(LOCAL).strftime("%Y-%m")


def _end_of_quarter(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year}-{(number - 1) // 3 * 3 + 3:02d}"


def _after_this_quarter() -> datetime:
    last = _end_of_quarter(THIS_MONTH)
    year, month = int(last[:4]), int(last[5:])
    return datetime(year + month // 12, month % 12 + 1, 1, 12, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def _quarter_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the statistics' clock to the first day after this quarter, so its months are over."""
    after = _after_this_quarter()
    monkeypatch.setattr("service.api.stats.utcnow", lambda: after.astimezone(UTC))


@pytest.fixture
def national_key(session: Session, keyring: crypto.Keyring, world: World) -> str:
    """Return a stats key with national reach."""
    key = add_api_key(session, keyring, scopes="stats:read")
    session.commit()
    return key


def _requests(
    client: FlaskClient, world: World, session: Session, *, home: str, count: int
) -> list[tuple[str, dict[str, Any]]]:
    centre = session.get_one(Centre, world.centre_a)
    start = datetime.now(UTC) + timedelta(days=10)
    slots = [
        add_slot(session, centre, SlotKind.INTRO, start + timedelta(hours=n)).id
        for n in range(count)
    ]
    session.commit()
    return [start_course(client, world, slot=slot, home=home) for slot in slots]


def _stats(client: FlaskClient, key: str, **query: str) -> dict[str, Any]:
    params = {"from": THIS_MONTH, "to": THIS_MONTH, **query}
    response = client.get("/api/v1/stats", query_string=params, headers=bearer(key))
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _hidden(value: object) -> bool:
    return isinstance(value, str)


def test_requests_are_counted_and_small_cells_hidden_with_a_complement(
    client: FlaskClient, world: World, session: Session, national_key: str
) -> None:
    """Seven from København show; two from Frederiksberg show as "<5", and no total gives them."""
    _requests(client, world, session, home="101", count=7)
    _requests(client, world, session, home=NEIGHBOUR, count=2)

    requested = _stats(client, national_key)["counts"]["requested"]

    assert requested[NEIGHBOUR][THIS_MONTH] == "<5"
    column = [requested[row][THIS_MONTH] for row in requested]
    assert sum(_hidden(value) for value in column) >= 2
    assert requested["461"][THIS_MONTH] == 0


def _quarter_range() -> tuple[str, str, str]:
    year, month = (int(part) for part in THIS_MONTH.split("-"))
    first = (month - 1) // 3 * 3 + 1
    return f"{year}-{first:02d}", _end_of_quarter(THIS_MONTH), f"{year}-Q{(month - 1) // 3 + 1}"


def test_every_period_is_cut_from_one_pattern(
    client: FlaskClient, world: World, session: Session, national_key: str
) -> None:
    """Month and quarter views together leave no sum with exactly one hidden cell in it."""
    _requests(client, world, session, home="101", count=6)
    _requests(client, world, session, home=NEIGHBOUR, count=1)
    first, last, quarter = _quarter_range()

    views = [
        _stats(client, national_key, period=period, **{"from": first, "to": last})
        for period in ("month", "quarter")
    ]

    cells = {
        (row, column): value
        for view in views
        for row, values in view["counts"]["requested"].items()
        for column, value in values.items()
    }
    rows = list(views[0]["counts"]["requested"])
    months = views[0]["columns"]
    assert views[1]["columns"] == [quarter]
    assert cells[(NEIGHBOUR, THIS_MONTH)] == "<5"
    sums = [[(row, quarter)] + [(row, m) for m in months] for row in rows]
    sums += [[(r, column) for r in rows] for column in [*months, quarter]]
    for cells_in_sum in sums:
        assert sum(_hidden(cells[cell]) for cell in cells_in_sum) != 1, cells_in_sum


def test_statistics_survive_the_deletion_of_the_courses_they_count(
    client: FlaskClient, world: World, session: Session, national_key: str
) -> None:
    """Erasing some courses and deleting the rest outright leaves every published number."""
    made = _requests(client, world, session, home="101", count=6)
    before = _stats(client, national_key)

    client.delete("/api/v1/me", headers=bearer(made[0][0]))
    session.execute(delete(Course))
    session.commit()
    after = _stats(client, national_key)

    assert after["counts"]["requested"] == before["counts"]["requested"]
    assert after["counts"]["erased"]["101"][THIS_MONTH] == "<5"


def test_waiting_times_show_only_from_five_courses(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    national_key: str,
    now: datetime,
) -> None:
    """Four intro talks give no waiting time; five give a median and a 90th percentile."""
    made = _requests(client, world, session, home="101", count=5)
    for index, (_, course) in enumerate(made):
        hold_intro(session, course["id"], now=now)
        client.post(
            f"/api/v1/courses/{course['id']}/decision",
            json={"decision": "approved"},
            headers=bearer(world.manage_a),
        )
        waits = _stats(client, national_key)["waiting_days"].get("request_to_intro", {})
        shown = waits.get("101", {}).get(THIS_MONTH)
        if index < 4:
            assert shown is None
        else:
            assert shown == {"median": 0, "p90": 0}

    # The same five waits show in every view that holds them, and in none that does not.
    expected = {"median": 0, "p90": 0}
    by_centre = _stats(client, national_key, by="centre")["waiting_days"]["request_to_intro"]
    assert by_centre[str(world.centre_a)][THIS_MONTH] == expected
    assert by_centre[str(world.centre_b)][THIS_MONTH] is None
    by_flow = _stats(client, national_key, by="flow")["waiting_days"]["request_to_intro"]
    assert by_flow["101>101"][THIS_MONTH] == expected
    assert by_flow["101>147"][THIS_MONTH] is None
    assert by_flow["*"][THIS_MONTH] == expected
    centre_key = add_api_key(
        session, keyring, scopes="stats:read", centre=session.get_one(Centre, world.centre_a)
    )
    session.commit()
    own = _stats(client, centre_key, by="flow")["waiting_days"]["request_to_intro"]
    assert own["101>101"][THIS_MONTH] == expected


def test_waiting_times_of_a_quarter_and_a_year_gather_their_months(
    session: Session, reader: Session, world: World, now: datetime
) -> None:
    """A quarter's or a year's median and 90th percentile are those of all its months' waits."""
    waits = {  # month -> (home, days, courses)
        "2024-01": [("101", 1, 3)],
        "2024-02": [("101", 10, 2), (NEIGHBOUR, 40, 4)],
        "2024-04": [("101", 20, 5)],
        "2024-12": [("101", 30, 1)],
    }
    for month, counted in waits.items():
        for home, days, count in counted:
            session.add(
                WaitTally(
                    month=month,
                    home_municipality=home,
                    centre_id=world.centre_a,
                    measure="request_to_intro",
                    days=days,
                    count=count,
                )
            )
    session.commit()

    def shown(period: Period, first: str, by: View = "home_municipality") -> dict[str, Any]:
        query = Query(period=period, first=first, last="2024-12", by=by)
        answer = report(reader, SYSTEM, query, horizon="2025-06")
        return answer["waiting_days"]["request_to_intro"]  # type: ignore[no-any-return]

    quarters = shown("quarter", "2024-01")
    assert quarters["101"] == {
        "2024-Q1": {"median": 1, "p90": 10},
        "2024-Q2": {"median": 20, "p90": 20},
        "2024-Q3": None,
        "2024-Q4": None,
    }
    assert quarters[NEIGHBOUR]["2024-Q1"] is None
    assert quarters["*"]["2024-Q1"] == {"median": 10, "p90": 40}
    assert shown("year", "2024-01")["101"] == {"2024": {"median": 20, "p90": 20}}
    assert shown("month", "2024-01")["101"]["2024-01"] is None
    # A quarter only partly asked for is no column, and its months count in none.
    assert list(shown("quarter", "2024-02")["101"]) == ["2024-Q2", "2024-Q3", "2024-Q4"]
    assert shown("year", "2024-01", by="centre")[str(world.centre_a)]["2024"] == {
        "median": 20,
        "p90": 40,
    }


class _Watched(dict[str, Any]):
    """A year's part as read, which a weak reference can tell is let go."""


def test_a_range_over_years_is_joined_from_each_years_published_part(
    session: Session,
    reader: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once the purge has published each year, any range that touches it takes its columns.

    The years are read one at a time: ten years of a view by flow held at
    once would take ten times the answer's memory.
    """
    for month, count in {"2022-11": 7, "2023-02": 9, "2023-08": 11, "2024-01": 13}.items():
        session.add(
            Tally(
                month=month,
                home_municipality="101",
                centre_id=world.centre_a,
                metric="requested",
                count=count,
            )
        )
    session.commit()

    def asked(first: str, last: str = "2024-03") -> dict[str, Any]:
        query = Query(period="quarter", first=first, last=last, by="home_municipality")
        return report(reader, SYSTEM, query, horizon="2024-06")

    computed = asked("2022-11")
    reader.rollback()  # as the next request: on SQLite a read sees what was there at its start
    publish(session, now=datetime(2024, 7, 2, 12, tzinfo=UTC))
    kept = session.execute(
        select(StatsPublished.year, StatsPublished.through)
        .where(
            StatsPublished.reach == "/",
            StatsPublished.view == "home_municipality",
            StatsPublished.period == "quarter",
        )
        .order_by(StatsPublished.year)
    ).all()

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a published year's tallies read again")

    monkeypatch.setattr(report_module, "_patterns", refuse)
    decoded: list[weakref.ref[_Watched]] = []
    decode = store.decode

    def one_at_a_time(body: bytes) -> store.Part:
        assert all(part() is None for part in decoded), "an earlier year's part is still held"
        part = _Watched(decode(body))
        decoded.append(weakref.ref(part))
        return part

    monkeypatch.setattr(store, "decode", one_at_a_time)
    again = asked("2022-11")
    read_again = len(decoded)
    within = asked("2023-01")
    shorter = asked("2023-04", "2023-12")

    # 2022-Q4 is only partly asked for (from November): no column.
    assert computed["columns"] == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1"]
    assert computed["counts"]["requested"]["101"] == {
        "2023-Q1": 9,
        "2023-Q2": 0,
        "2023-Q3": 11,
        "2023-Q4": 0,
        "2024-Q1": 13,
    }
    # One row a year: those that are over for good, the horizon's year through its last month.
    assert kept == [("2022", "2022-12"), ("2023", "2023-12"), ("2024", "2024-06")]
    assert again == computed
    assert read_again == 3  # each published year read, and let go before the next
    assert {**within, "from": "2022-11"} == computed
    assert shorter["columns"] == ["2023-Q2", "2023-Q3", "2023-Q4"]
    assert shorter["counts"]["requested"]["*"] == {"2023-Q2": 0, "2023-Q3": 11, "2023-Q4": 0}


_WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|SAVEPOINT)\b", re.IGNORECASE)


def test_a_statistics_request_writes_nothing(
    client: FlaskClient,
    world: World,
    session: Session,
    engine: Engine,
    keyring: crypto.Keyring,
    national_key: str,
) -> None:
    """Every view, period and reach, JSON and CSV, published or not: no statement writes."""
    _requests(client, world, session, home="101", count=6)
    _requests(client, world, session, home=NEIGHBOUR, count=2)
    local_key = add_api_key(session, keyring, scopes="stats:read", municipality=NEIGHBOUR)
    session.commit()
    # A key's first use of the day records that day (service.api.auth), not statistics.
    for key in (national_key, local_key):
        client.get("/api/v1/stats", headers=bearer(key))
    asked = [
        (path, key, {"period": period, "by": by, "from": THIS_MONTH[:4] + "-01", "to": THIS_MONTH})
        for path in ("/api/v1/stats", "/api/v1/stats.csv")
        for key in (national_key, local_key)
        for period in ("month", "quarter", "year")
        for by in ("home_municipality", "centre", "flow")
    ]

    with sent_to(engine) as sent:
        answers = [client.get(path, query_string=q, headers=bearer(k)) for path, k, q in asked]

    assert [answer.status_code for answer in answers] == [200] * len(asked)
    statements = [statement for statement, _ in sent]
    assert any("stats_published" in statement for statement in statements)
    assert [statement for statement in statements if _WRITES.match(statement)] == []
    assert session.scalar(select(func.count()).select_from(StatsPublished)) == 0


def test_a_whole_published_year_is_answered_as_the_same_bytes_without_a_report(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    national_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every view and period of the running year, JSON and CSV: published, what a report wrote."""
    _requests(client, world, session, home="101", count=6)
    _requests(client, world, session, home=NEIGHBOUR, count=3)
    centre_key = add_api_key(
        session, keyring, scopes="stats:read", centre=session.get_one(Centre, world.centre_a)
    )
    session.commit()
    asked = [
        (path, key, {"period": period, "by": by})
        for path in ("/api/v1/stats", "/api/v1/stats.csv")
        for key in (national_key, centre_key)
        for period in ("month", "quarter", "year")
        for by in ("home_municipality", "centre", "flow")
    ]

    def bodies() -> list[bytes]:
        return [client.get(p, query_string=q, headers=bearer(k)).get_data() for p, k, q in asked]

    computed = bodies()
    publish(session, now=_after_this_quarter().astimezone(UTC))

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a report built")

    with monkeypatch.context() as patched:
        patched.setattr(report_module, "_report", refuse)
        published = bodies()
    centre = session.get_one(Centre, world.centre_a)
    old_name, centre.name = centre.name, "Centre A, new name"
    session.commit()
    renamed = client.get(
        "/api/v1/stats.csv", query_string={"by": "centre"}, headers=bearer(national_key)
    )

    assert published == computed
    assert computed[0].startswith(b'{"by":')
    assert computed[-1].startswith(b"metric,row,name,")
    # The CSV names its rows: after a rename it is built again, with the new name.
    assert b'"Centre A, new name"' in renamed.get_data()
    assert f"{world.centre_a},{old_name},".encode() not in renamed.get_data()


def test_a_published_year_is_read_not_decided_again(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    national_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the purge, every reach's answers come from what it published, the same as before."""
    _requests(client, world, session, home="101", count=6)
    _requests(client, world, session, home=NEIGHBOUR, count=3)
    local_key = add_api_key(session, keyring, scopes="stats:read", municipality=NEIGHBOUR)
    session.commit()
    params = {"from": THIS_MONTH, "to": THIS_MONTH}
    first = _stats(client, national_key)
    first_csv = client.get("/api/v1/stats.csv", query_string=params, headers=bearer(national_key))
    local = _stats(client, local_key)
    publish(session, now=_after_this_quarter().astimezone(UTC))

    def refuse(*_: object) -> None:
        raise AssertionError("decided again")

    monkeypatch.setattr(suppression._Suppressor, "run", refuse)
    again_csv = client.get("/api/v1/stats.csv", query_string=params, headers=bearer(national_key))

    assert _stats(client, national_key) == first
    assert _stats(client, local_key) == local
    assert set(local["counts"]["requested"]) == {NEIGHBOUR, "*"}
    assert set(first["counts"]["requested"]) > {NEIGHBOUR, "*"}
    assert again_csv.get_data() == first_csv.get_data()
    assert again_csv.headers["Content-Disposition"] == first_csv.headers["Content-Disposition"]


def test_an_answer_of_published_years_asked_again_reads_nothing_of_the_store(
    client: FlaskClient, world: World, session: Session, engine: Engine, national_key: str
) -> None:
    """Asked again, a whole published year or a range of published years is the kept answer."""
    _requests(client, world, session, home="101", count=6)
    publish(session, now=_after_this_quarter().astimezone(UTC))
    asked = [
        ("/api/v1/stats", {"by": "flow"}),
        ("/api/v1/stats.csv", {"by": "flow"}),
        ("/api/v1/stats", {"by": "flow", "from": THIS_MONTH, "to": THIS_MONTH}),
        ("/api/v1/stats", {"by": "centre", "period": "year"}),
    ]

    def bodies() -> list[bytes]:
        return [
            client.get(p, query_string=q, headers=bearer(national_key)).get_data() for p, q in asked
        ]

    first = bodies()
    with sent_to(engine) as sent:
        again = bodies()

    assert again == first
    assert [statement for statement, _ in sent if "stats_published" in statement] == []
    # The centres' names are still read: a renamed centre is a new question.
    assert any("FROM centres" in statement for statement, _ in sent)


def test_the_answers_a_process_keeps_stay_within_their_bound(
    client: FlaskClient,
    world: World,
    session: Session,
    engine: Engine,
    national_key: str,
) -> None:
    """Past the bound, the least recently asked answer goes and is read from the store again."""
    _requests(client, world, session, home="101", count=6)
    publish(session, now=_after_this_quarter().astimezone(UTC))
    assert client.application is not None
    views = ("home_municipality", "centre", "flow")
    sizes = [
        len(client.get("/api/v1/stats", query_string={"by": by}, headers=bearer(national_key)).data)
        for by in views
    ]
    bound = sum(sizes) - 1  # one byte short of all three
    kept = client.application.extensions[KEPT] = store.Kept(max_bytes=bound)

    for by in (*views, "home_municipality"):
        client.get("/api/v1/stats", query_string={"by": by}, headers=bearer(national_key))
    held = kept.size
    with sent_to(engine) as sent:
        client.get("/api/v1/stats", query_string={"by": "centre"}, headers=bearer(national_key))

    assert held <= bound
    assert held == sizes[0] + sizes[2]  # the view by centre, least recently asked, went
    assert any("stats_published" in statement for statement, _ in sent)
    assert kept.size <= bound


def test_a_late_decision_counts_in_its_own_month_not_the_intro_month(
    client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """A month that is over never changes: a decision recorded after it counts in the next one."""
    _, course = start_course(client, world, slot=world.intro_a[0])
    hold_intro(session, course["id"], now=now)
    intro_month = month_of(now - timedelta(hours=2))
    later = datetime(now.year + now.month // 12, now.month % 12 + 1, 3, 12, tzinfo=LOCAL)
    staff = Actor(kind="staff", id=None, centre_id=world.centre_a)

    decide(session, staff, uuid.UUID(course["id"]), Decision.APPROVED, now=later)
    session.commit()

    months = session.scalars(
        select(WaitTally.month).where(WaitTally.measure == "request_to_intro")
    ).all()
    assert months == [month_of(later)]
    assert intro_month not in months
    counted = session.scalars(select(Tally.month).where(Tally.metric == "intro_held")).all()
    assert counted == [month_of(later)]


def test_new_counts_and_a_renamed_centre_each_give_a_new_answer(
    client: FlaskClient, world: World, session: Session, national_key: str
) -> None:
    """A kept answer is never stale: more requests, or a centre's new name, are seen at once."""
    centre = str(world.centre_a)
    _requests(client, world, session, home="101", count=3)
    before = _stats(client, national_key, by="centre")
    _requests(client, world, session, home="101", count=4)
    counted = _stats(client, national_key, by="centre")
    session.get_one(Centre, world.centre_a).name = "Centre A, new name"
    session.commit()
    renamed = _stats(client, national_key, by="centre")

    assert before["counts"]["requested"][centre][THIS_MONTH] == "<5"
    assert counted["counts"]["requested"][centre][THIS_MONTH] == 7
    assert counted["rows"][centre] == before["rows"][centre] != "Centre A, new name"
    assert renamed["rows"][centre] == "Centre A, new name"
    assert renamed["counts"] == counted["counts"]


def test_a_municipality_key_sees_only_its_own_citizens(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring
) -> None:
    """A stats key bound to Frederiksberg has one row, its own, plus the total."""
    key = add_api_key(session, keyring, scopes="stats:read", municipality=NEIGHBOUR)
    session.commit()
    _requests(client, world, session, home="101", count=6)

    body = _stats(client, key)

    assert set(body["counts"]["requested"]) == {NEIGHBOUR, "*"}
    assert body["counts"]["requested"][NEIGHBOUR][THIS_MONTH] == 0


def test_stats_need_the_scope(client: FlaskClient, world: World) -> None:
    """A key without stats:read gets 403."""

    response = client.get("/api/v1/stats", headers=bearer(world.manage_a))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"period": "week"},
        {"from": "2026-13"},
        {"from": "2026-05", "to": "2026-01"},
        {"by": "name"},
        {"from": "2000-01", "to": "2099-12"},
        {"from": "2099-01"},
    ],
)
def test_bad_stats_queries_are_refused(
    client: FlaskClient, national_key: str, query: dict[str, str]
) -> None:
    """Unknown periods, impossible months, reversed ranges, months not over, unknown views: 422."""

    response = client.get("/api/v1/stats", query_string=query, headers=bearer(national_key))

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("period", "thirteen_from", "twelve_from", "last"),
    [("month", "2020-03", "2020-04", "2021-03"), ("quarter", "2020-01", "2020-04", "2023-03")],
)
def test_a_view_by_flow_is_at_most_twelve_columns_wide(
    client: FlaskClient,
    national_key: str,
    period: str,
    thirteen_from: str,
    twelve_from: str,
    last: str,
) -> None:
    """Thirteen columns by flow are refused at `to`, in JSON and CSV; twelve are answered."""
    asked = {"by": "flow", "period": period, "from": thirteen_from, "to": last}

    refused = [
        client.get(path, query_string=asked, headers=bearer(national_key))
        for path in ("/api/v1/stats", "/api/v1/stats.csv")
    ]
    body = _stats(client, national_key, **{**asked, "from": twelve_from})

    for response in refused:
        assert response.status_code == 422
        assert response.get_json() == {
            "code": "invalid_input",
            "status": 422,
            "message": "By flow, at most 12 columns at a time: 12 months or 12 quarters.",
            "errors": {"to": ["By flow, at most 12 columns at a time: 12 months or 12 quarters."]},
        }
    assert len(body["columns"]) == 12


def test_a_range_of_years_before_any_count_is_answered_with_zeros(
    client: FlaskClient, world: World, session: Session, national_key: str
) -> None:
    """The years 0 to 9: every row is listed, every cell 0, as for any year without data."""
    _requests(client, world, session, home="101", count=1)

    body = _stats(client, national_key, **{"from": "0000-01", "to": "0009-12", "period": "year"})

    assert body["columns"] == [f"{year:04d}" for year in range(10)]
    assert set(body["counts"]["requested"]["101"].values()) == {0}


def test_every_view_and_reach_shows_a_cell_the_same_way(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring, national_key: str
) -> None:
    """A centre's key, a municipality's key and a national key agree on every cell they share."""
    centre = session.get_one(Centre, world.centre_a)
    centre_key = add_api_key(session, keyring, scopes="stats:read", centre=centre)
    home_key = add_api_key(session, keyring, scopes="stats:read", municipality=NEIGHBOUR)
    session.commit()
    _requests(client, world, session, home="101", count=7)
    _requests(client, world, session, home=NEIGHBOUR, count=2)
    centre_id = str(world.centre_a)

    by_home = _stats(client, national_key)["counts"]
    by_centre = _stats(client, national_key, by="centre")["counts"]
    centre_own = _stats(client, centre_key, by="centre")["counts"]
    home_own = _stats(client, home_key)["counts"]
    home_by_centre = _stats(client, home_key, by="centre")["counts"]
    centre_by_home = _stats(client, centre_key)["counts"]

    for metric, rows in by_home.items():
        assert rows[NEIGHBOUR] == home_own[metric][NEIGHBOUR] == home_own[metric]["*"]
        assert by_centre[metric][centre_id] == centre_own[metric][centre_id]
        assert centre_own[metric]["*"] == centre_by_home[metric]["*"]
        assert home_by_centre[metric][centre_id] == centre_by_home[metric][NEIGHBOUR]
    assert centre_by_home["requested"][NEIGHBOUR][THIS_MONTH] == "<5"


def test_the_same_counts_download_as_csv(
    client: FlaskClient, world: World, session: Session, national_key: str
) -> None:
    """The CSV holds the JSON's counts, marks included, one line per metric and row."""
    _requests(client, world, session, home="101", count=7)
    _requests(client, world, session, home=NEIGHBOUR, count=2)
    params = {"from": THIS_MONTH, "to": THIS_MONTH}

    response = client.get("/api/v1/stats.csv", query_string=params, headers=bearer(national_key))
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert lines[0] == ["metric", "row", "name", THIS_MONTH]
    cells = {(metric, row): value for metric, row, _, value in lines[1:]}
    body = _stats(client, national_key)["counts"]
    assert cells == {
        (metric, row): str(values[THIS_MONTH])
        for metric, rows in body.items()
        for row, values in rows.items()
    }
    assert cells[("requested", NEIGHBOUR)] == "<5"


def test_csv_text_that_looks_like_a_formula_is_defused() -> None:
    """A centre named "=HYPERLINK(...)" cannot run in the spreadsheet that opens the file."""
    result = {
        "columns": ["2031-01"],
        "rows": {"c": "=HYPERLINK(1)", "*": "I alt"},
        "counts": {"requested": {"c": {"2031-01": 7}, "*": {"2031-01": 7}}},
    }

    lines = list(csv.reader(io.StringIO(to_csv(result))))

    assert lines[1] == ["requested", "c", "'=HYPERLINK(1)", "7"]


def test_one_key_cannot_grow_the_statistics_store(
    client: FlaskClient, world: World, session: Session, national_key: str
) -> None:
    """Many distinct questions from one key add no row: only the purge writes the store."""
    _requests(client, world, session, home="101", count=6)
    year, month = (int(part) for part in THIS_MONTH.split("-"))
    questions = [{"from": f"{year - back}-{month:02d}"} for back in range(10)]

    for question in questions:
        _stats(client, national_key, **question)

    assert session.scalar(select(func.count()).select_from(StatsPublished)) == 0
