"""The operator's commands: purge, privacy-audit and create-staff."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import crypto
from service.cli import cli
from service.models import Course, Group, StaffAccount, StatsPublished, Tally
from service.stats import report, store
from tests.support.calls import approved_course, bearer, start_course
from tests.support.pages import Citizen
from tests.support.world import HOME, NEIGHBOUR, World, add_api_key


def _run(app: Flask, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))
    return result.exit_code, result.output


def _counted(client: FlaskClient, world: World, session: Session) -> tuple[str, datetime]:
    """Start a course; return the month it is counted in and an instant after that month."""
    start_course(client, world)
    month = session.scalars(select(Tally.month)).one()
    year, number = int(month[:4]), int(month[5:])
    return month, datetime(year + number // 12, number % 12 + 1, 2, 12, tzinfo=UTC)


def test_purge_deletes_old_courses_and_keeps_the_numbers(
    app: Flask, client: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """An ended course older than the period goes; the tallies that counted it stay."""
    _, course = start_course(client, world)
    session.execute(
        update(Course)
        .where(Course.id == uuid.UUID(course["id"]))
        .values(ended_at=now - timedelta(days=91))
    )
    session.commit()
    tallies = session.scalars(select(Tally.count)).all()
    session.commit()  # the tests' session begins IMMEDIATE on SQLite: end it before the app writes

    code, output = _run(app, "purge")

    assert code == 0
    assert "Purged 1 ended" in output
    session.expire_all()
    assert session.scalars(select(Course)).all() == []
    assert session.scalars(select(Tally.count)).all() == tallies


def test_purge_publishes_the_statistics_of_the_months_that_are_over(
    app: Flask, client: FlaskClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the housekeeping, the year's published columns are in the database."""
    month, after = _counted(client, world, session)
    monkeypatch.setattr("service.ops.utcnow", lambda: after)
    session.commit()

    code, output = _run(app, "purge")

    assert code == 0
    assert f"Statistics ready for {month[:4]};" in output
    published = select(StatsPublished.year, StatsPublished.through).distinct()
    assert session.execute(published).all() == [(month[:4], month)]


def _places(session: Session) -> bytes:
    return store.places_of(session.execute(report.CENTRES))


def test_purge_publishes_every_view_of_the_year_and_deletes_those_of_past_months(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: World,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each stats key's reach and the country get every view of the year; replaced ones go."""
    month, after = _counted(client, world, session)
    local = add_api_key(session, keyring, scopes="stats:read", municipality=HOME)
    add_api_key(session, keyring, scopes="tokens:verify", municipality=NEIGHBOUR)
    places = _places(session)
    old_rows = (
        ("/", "2001-05", places),
        ("/", "2001-12", places),
        ("/", "2002-12", b"\1" * 32),
        (f"{NEIGHBOUR}/", "2002-12", places),
    )
    for reach, through, where in old_rows:
        old = StatsPublished(
            reach=reach,
            view="centre",
            period="month",
            year=through[:4],
            through=through,
            places=where,
            published_at=after,
            body=b"",
            csv=b"",
        )
        session.add(old)
    session.commit()
    monkeypatch.setattr("service.ops.utcnow", lambda: after)
    monkeypatch.setattr("service.api.stats.utcnow", lambda: after)

    code, output = _run(app, "purge")
    session.commit()
    monkeypatch.setattr(report, "_patterns", _refuse_to_compute)
    answered = client.get("/api/v1/stats", headers=bearer(local))
    views = [
        client.get(f"/api/v1/{route}?period={period}&by={by}", headers=bearer(local))
        for route in ("stats", "stats.csv")
        for period in ("month", "quarter", "year")
        for by in ("home_municipality", "centre", "flow")
    ]

    assert code == 0, output
    # A running year's row of a past month, one of other places and one of a
    # reach that no stats key has (the token key's); a year over stays.
    assert "3 published statistics no longer asked for" in output
    kept = select(StatsPublished.through).where(StatsPublished.year < month[:4])
    assert session.scalars(kept).all() == ["2001-12"]
    # The country's, the municipality key's and the world's centre key's (not
    # the token key's): three periods by three views.
    assert "every view of each year stored for 3 reaches" in output
    this_year = select(StatsPublished.through).where(StatsPublished.year == month[:4])
    assert session.scalars(this_year).all() == [month] * 3 * 9
    assert answered.status_code == 200
    assert set(answered.get_json()["counts"]["requested"]) == {HOME, "*"}
    assert [view.status_code for view in views] == [200] * 18


def _published(session: Session) -> list[tuple[Any, ...]]:
    rows = select(StatsPublished).order_by(
        StatsPublished.reach, StatsPublished.view, StatsPublished.period, StatsPublished.year
    )
    return [
        (row.reach, row.view, row.period, row.through, row.published_at, row.body)
        for row in session.scalars(rows)
    ]


def test_a_published_row_is_never_written_again(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The next purge computes nothing published already, and rewrites no row, whatever changed."""
    month, after = _counted(client, world, session)
    monkeypatch.setattr("service.ops.utcnow", lambda: after)
    session.commit()  # a read left open would hold the purge's writes on SQLite
    assert _run(app, "purge")[0] == 0
    published = _published(session)
    # A month over changed all the same (an import): what is published stays.
    session.execute(update(Tally).where(Tally.month == month).values(count=9))
    session.commit()

    monkeypatch.setattr("service.ops.utcnow", lambda: after + timedelta(days=1))
    monkeypatch.setattr(report, "_compute", _refuse_to_compute)
    code, output = _run(app, "purge")
    session.commit()

    assert code == 0, output
    # The country's and the world's centre key's.
    assert "every view of each year stored for 2 reaches." in output
    assert len(published) == 2 * 9
    assert _published(session) == published


def test_the_running_year_is_published_again_as_each_month_ends(
    app: Flask, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another month over: the year's new rows hold the earlier months' columns unchanged."""
    for month, count in (("2024-03", 3), ("2024-04", 8), ("2024-05", 2)):
        tally = Tally(
            month=month,
            home_municipality=HOME,
            centre_id=world.centre_a,
            metric="requested",
            count=count,
        )
        session.add(tally)
    session.commit()
    monkeypatch.setattr("service.ops.utcnow", lambda: datetime(2024, 5, 2, 12, tzinfo=UTC))
    assert _run(app, "purge")[0] == 0
    before = _published(session)
    session.commit()

    monkeypatch.setattr("service.ops.utcnow", lambda: datetime(2024, 6, 2, 12, tzinfo=UTC))
    code, output = _run(app, "purge")
    after = _published(session)

    assert code == 0, output
    assert {row[3] for row in before} == {"2024-04"}
    assert {row[3] for row in after} == {"2024-05"}
    assert f"{len(before)} published statistics no longer asked for" in output
    for old, new in zip(before, after, strict=True):
        assert old[:3] == new[:3]
        old_part, new_part = store.decode(old[5]), store.decode(new[5])
        for section, names in old_part.items():
            for name, rows in names.items():
                for key, cells in rows.items():
                    assert new_part[section][name][key].items() >= cells.items()
    national = next(row for row in after if row[:3] == ("/", "home_municipality", "month"))
    shown = store.decode(national[5])["counts"]["requested"][HOME]
    assert (shown["2024-04"], shown["2024-05"]) == (8, "<5")


def test_purge_reads_each_years_tallies_once_and_a_range_is_read_from_what_it_published(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: World,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A range over years that are over is then answered without reading a tally."""
    month, past, key = _counted_long_ago(client, world, session, keyring, monkeypatch, "2-01")
    restored: list[str] = []
    restore = report._patterns

    def restoring(session: Session, year: str, through: str, *args: Any) -> Any:
        restored.append(f"{year}-01..{through}")
        return restore(session, year, through, *args)

    monkeypatch.setattr(report, "_patterns", restoring)

    assert _run(app, "purge")[0] == 0
    years_over = select(func.count()).where(StatsPublished.through < month[:4])
    final = session.scalar(years_over)
    session.commit()
    monkeypatch.setattr(report, "_patterns", _refuse_to_compute)
    asked = f"/api/v1/stats?period=year&from={past}&to={month}"
    answered = client.get(asked, headers=bearer(key))

    # Two years over, nine views and periods each, for the country and the world's centre key.
    assert final == 2 * 9 * 2
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["counts"]["requested"][HOME][past[:4]] == 8
    # The tallies were read once a year for every reach, view and period.
    last = f"{int(month[:4]) - 1}"
    assert restored == [
        f"{past[:4]}-01..{past[:4]}-12",
        f"{last}-01..{last}-12",
        f"{month[:4]}-01..{month}",
    ]


def _counted_long_ago(
    client: FlaskClient,
    world: World,
    session: Session,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
    back: str,
) -> tuple[str, str, str]:
    """Count a course this month and 8 requests in a month ``back`` ("years-MM") before it.

    The clocks of the purge and the API are set after this month. Returns
    this month, the month long over and a national stats key.
    """
    month, after = _counted(client, world, session)
    years, calendar_month = back.split("-")
    past = f"{int(month[:4]) - int(years)}-{calendar_month}"
    session.add(
        Tally(
            month=past,
            home_municipality=HOME,
            centre_id=world.centre_a,
            metric="requested",
            count=8,
        )
    )
    key = add_api_key(session, keyring, scopes="stats:read")
    session.commit()
    monkeypatch.setattr("service.ops.utcnow", lambda: after)
    monkeypatch.setattr("service.api.stats.utcnow", lambda: after)
    return month, past, key


def _refuse_to_compute(*_: object, **__: object) -> None:
    raise AssertionError("computed again")


def test_purge_without_statistics_says_so(app: Flask) -> None:
    """A database with nothing counted yet has no year to prepare."""
    code, output = _run(app, "purge")

    assert code == 0
    assert "Statistics ready for no year yet; every view of each year stored for 1 reach." in output


def test_the_privacy_audit_runs_clean_after_a_day_of_use(
    app: Flask, client: FlaskClient, session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    """Bookings by API and web, a group, an erasure: nothing identifying anywhere."""
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    client.post("/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token))
    erased, _ = start_course(client, world, slot=world.intro_a[1])
    client.delete("/api/v1/me", headers=bearer(erased))
    citizen = Citizen(client)
    citizen.post("/code", {"code": token}, csrf=citizen.get("/code").csrf())
    citizen.get("/my")
    log = tmp_path / "service.log"
    log.write_text("GET /my 200 2.0ms\nPOST /code 303 5.1ms\n", encoding="utf-8")

    code, output = _run(app, "privacy-audit", "--log", str(log))

    assert code == 0, output
    assert "Nothing identifying found." in output


def test_the_privacy_audit_names_what_it_finds_but_not_the_value(
    app: Flask, session: Session, world: World, tmp_path: Path
) -> None:
    """A CPR-like number slipped into a group name and an address in a log: exit 1, places given."""
    session.execute(
        update(Group).where(Group.id == world.group_a).values(name="Gruppe 010190-1234")
    )
    session.commit()
    log = tmp_path / "service.log"
    log.write_text("ok\nclient 192.0.2.44 asked\n", encoding="utf-8")

    code, output = _run(app, "privacy-audit", "--log", str(log))

    assert code == 1
    assert f"cpr-number\tgroups.name [{world.group_a}]" in output
    assert f"ip-address\t{log}:2" in output
    assert "010190" not in output
    assert "192.0.2.44" not in output


# One of each form the audit must find, planted in a table and in a log file.
PLANTED = [
    ("cpr-number", "010190-1234"),
    ("cpr-number", "010190 - 1234"),
    ("cpr-number", "01.01.90.1234"),
    ("cpr-number", "010190\u20111234"),
    ("cpr-number", "0101\u200d90\u200b1234"),
    ("e-mail", "someone@example.invalid"),
    ("phone-number", "+45 12 34 56 78"),
    ("ip-address", "127.0.0.1"),
    ("ip-address", "::1"),
    ("ip-address", "192.0.2.44"),
]


def test_the_privacy_audit_finds_every_planted_form_in_a_table(
    app: Flask, session: Session, world: World
) -> None:
    """Each form, written straight into a group's name past the rule, is found; exit 1."""
    missed = []
    for kind, value in [*PLANTED, ("token", crypto.generate_token().lower())]:
        session.execute(
            update(Group).where(Group.id == world.group_a).values(name=f"Gruppe {value}")
        )
        session.commit()

        code, output = _run(app, "privacy-audit")

        if code != 1 or f"{kind}\tgroups.name [{world.group_a}]" not in output:
            missed.append(ascii(value))

    assert missed == []


def test_the_privacy_audit_finds_every_planted_form_in_a_log_raw_and_json_escaped(
    app: Flask, tmp_path: Path
) -> None:
    """Each form and five codes, raw and inside JSON lines with escapes: each line is a finding."""
    codes = [crypto.generate_token() for _ in range(5)]
    planted = [
        *PLANTED,
        ("token", codes[0]),
        ("token", codes[1].lower()),
        ("token", codes[2].replace("-", "")),
        ("token", codes[3].replace("-", " ")),
        ("token", codes[4].lower().replace("-", "\u2011")),
    ]
    lines = ['{"level": "INFO", "message": "GET /my 200"}']
    for _, value in planted:
        lines.append(f"raw {value}")
        lines.append(json.dumps({"level": "WARNING", "message": f"got {value}"}))
        lines.append(json.dumps({"message": f"got {value}"}).replace("-", "\\u002d"))
    log = tmp_path / "service.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, output = _run(app, "privacy-audit", "--log", str(log))

    assert code == 1
    missed = [
        (kind, number)
        for index, (kind, _) in enumerate(planted)
        for number in range(2 + 3 * index, 5 + 3 * index)
        if f"{kind}\t{log}:{number}" not in output
    ]
    assert missed == []
    assert f"{log}:1\n" not in output
    assert not any(value in output for _, value in planted)


def test_create_staff_prints_a_setup_code_that_opens_the_password_page(
    app: Flask, client: FlaskClient, session: Session, world: World
) -> None:
    """The first administrator: the code signs in once, then a password must be chosen."""
    code, output = _run(app, "create-staff", "first.admin")

    assert code == 0
    setup = output.strip().splitlines()[-1]
    account = session.scalars(select(StaffAccount)).one()
    assert account.must_set_password
    assert setup not in account.password_hash
    session.commit()
    browser = Citizen(client)
    signed = browser.submit(
        browser.get("/staff/login"), "/staff/login", {"username": "first.admin", "password": setup}
    )
    assert signed.status == 303
    assert browser.get("/staff/").response.headers["Location"] == "/staff/password"


def test_create_staff_refuses_a_centre_role_without_a_centre(app: Flask, world: World) -> None:
    """A clear error, nothing created."""
    code, output = _run(app, "create-staff", "lonely", "--role", "staff")

    assert code == 1
    assert "centre" in output
