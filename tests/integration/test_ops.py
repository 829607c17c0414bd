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
from service.api.stats import ANSWERS
from service.cli import cli
from service.models import (
    Course,
    Group,
    StaffAccount,
    StatsAnswer,
    StatsMonth,
    StatsPart,
    SuppressionMarks,
    Tally,
)
from service.stats import report, stamps
from service.stats.answers import Answers
from service.stats.suppression import months_between
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


def test_purge_decides_the_statistics_of_the_months_that_are_over(
    app: Flask, client: FlaskClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the housekeeping, the year's suppression patterns are in the database."""
    month, after = _counted(client, world, session)
    monkeypatch.setattr("service.ops.utcnow", lambda: after)
    session.commit()

    code, output = _run(app, "purge")

    assert code == 0
    assert f"Statistics ready for {month[:4]};" in output
    assert session.scalars(select(SuppressionMarks.year).distinct()).all() == [month[:4]]


def test_purge_stores_every_view_of_the_year_and_forgets_those_of_past_months(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: World,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each stats key's reach and the country get every view of the year ready; old ones go."""
    month, after = _counted(client, world, session)
    local = add_api_key(session, keyring, scopes="stats:read", municipality=HOME)
    add_api_key(session, keyring, scopes="tokens:verify", municipality=NEIGHBOUR)
    session.add(StatsAnswer(digest=b"\0" * 32, horizon="2001-01", computed_at=after, body=b""))
    for through, final in (("2001-05", False), ("2001-12", True)):
        digest = through.encode().ljust(32, b"\0")
        old = StatsPart(digest=digest, through=through, final=final, computed_at=after, body=b"")
        session.add(old)
    session.commit()
    monkeypatch.setattr("service.ops.utcnow", lambda: after)
    monkeypatch.setattr("service.api.stats.utcnow", lambda: after)

    code, output = _run(app, "purge")
    session.commit()
    monkeypatch.setattr("service.stats.answers.report", _refuse_to_compute)
    app.extensions[ANSWERS] = Answers()  # as a worker that has answered nothing yet
    answered = client.get("/api/v1/stats", headers=bearer(local))
    views = [
        client.get(f"/api/v1/{route}?period={period}&by={by}", headers=bearer(local))
        for route in ("stats", "stats.csv")
        for period in ("month", "quarter", "year")
        for by in ("home_municipality", "centre", "flow")
    ]

    assert code == 0, output
    # The old answer and the running year's part of a past month; a year over keeps its part.
    assert "2 statistics answers and parts of past months" in output
    assert session.scalar(select(StatsPart.final).where(StatsPart.through == "2001-12"))
    assert session.scalar(select(StatsPart.final).where(StatsPart.through == "2001-05")) is None
    # The country's, the municipality key's and the world's centre key's (not
    # the token key's): three periods by three views, each as JSON and CSV.
    assert "every view of each year stored for 3 reaches" in output
    assert session.scalars(select(StatsAnswer.horizon)).all() == [month] * 3 * 9 * 2
    assert answered.status_code == 200
    assert set(answered.get_json()["counts"]["requested"]) == {HOME, "*"}
    assert [view.status_code for view in views] == [200] * 18


def test_a_second_purge_computes_no_stored_view_again(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the data have not changed since is stored already: the next purge only reads it."""
    _, after = _counted(client, world, session)
    monkeypatch.setattr("service.ops.utcnow", lambda: after)
    session.commit()  # a read left open would hold the purge's writes on SQLite
    assert _run(app, "purge")[0] == 0
    stored = session.scalars(select(StatsAnswer.digest).order_by(StatsAnswer.digest)).all()
    session.commit()

    monkeypatch.setattr("service.stats.answers.report", _refuse_to_compute)
    code, output = _run(app, "purge")
    session.commit()

    assert code == 0, output
    # The country's and the world's centre key's.
    assert "every view of each year stored for 2 reaches." in output
    assert len(stored) == 2 * 9 * 2
    assert session.scalars(select(StatsAnswer.digest).order_by(StatsAnswer.digest)).all() == stored


def test_purge_counts_the_still_months_and_keeps_the_part_of_every_year(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: World,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A range over years that are over is then built from kept parts and counted months."""
    month, past, key = _counted_long_ago(client, world, session, keyring, monkeypatch, "2-01")
    restored: list[str] = []
    restore = report._patterns

    def restoring(session: Session, months: list[str], *args: Any, **kwargs: Any) -> Any:
        restored.append(f"{months[0]}..{months[-1]}")
        return restore(session, months, *args, **kwargs)

    monkeypatch.setattr(report, "_patterns", restoring)

    assert _run(app, "purge")[0] == 0
    monkeypatch.setattr(report, "_patterns", restore)
    counted = session.scalars(select(StatsMonth.month).order_by(StatsMonth.month)).all()
    stamp = session.get_one(StatsMonth, past)
    years_over = select(func.count()).where(StatsPart.final, StatsPart.through < month[:4])
    final = session.scalar(years_over)
    session.commit()
    read: list[list[str]] = []
    count = stamps._count

    def counting(session: Session, months: list[str]) -> dict[str, stamps.Counted]:
        read.append(list(months))
        return count(session, months)

    monkeypatch.setattr(stamps, "_count", counting)
    monkeypatch.setattr("service.stats.report._patterns", _refuse_to_compute)
    app.extensions[ANSWERS] = Answers()  # as a worker that has answered nothing yet
    report.forget()
    asked = f"/api/v1/stats?period=year&from={past}&to={month}"
    answered = client.get(asked, headers=bearer(key))

    # Every month from the first counted to the one before the horizon's.
    assert counted == months_between(past, month)[:-1]
    assert (stamp.tallies, stamp.tallies_total, stamp.waits, stamp.waits_total) == (1, 8, 0, 0)
    # Two years over, nine views and periods each, for the country and the world's centre key.
    assert final == 2 * 9 * 2
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["counts"]["requested"][HOME][past[:4]] == 8
    # Only the horizon's month was counted from its rows.
    assert read == [[month]]
    # The tallies were read once to decide every year, then once a year for
    # all the parts of both reaches, not once a part.
    years = [f"{past[:4]}-01..{past[:4]}-12", f"{int(month[:4]) - 1}-01..{int(month[:4]) - 1}-12"]
    assert restored == [f"{past}..{month}", *years, f"{month[:4]}-01..{month}"]


def test_a_still_month_changed_all_the_same_is_seen_after_the_next_purge(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: World,
    keyring: crypto.Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restore or an import that changes a month long over: the next purge counts it again."""
    month, past, key = _counted_long_ago(client, world, session, keyring, monkeypatch, "1-03")
    asked = f"/api/v1/stats?period=year&from={past[:4]}-01&to={month}"

    def shown() -> int:
        app.extensions[ANSWERS] = Answers()  # as a new worker
        body: dict[str, Any] = client.get(asked, headers=bearer(key)).get_json()
        count: int = body["counts"]["requested"][HOME][past[:4]]
        return count

    assert _run(app, "purge")[0] == 0
    before = shown()
    session.execute(update(Tally).where(Tally.month == past).values(count=9))
    session.commit()
    unseen = shown()
    assert _run(app, "purge")[0] == 0
    seen = shown()

    assert before == unseen == 8
    assert seen == 9


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
    raise AssertionError("computed in the request")


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
    signed = browser.post(
        "/staff/login",
        {"username": "first.admin", "password": setup},
        csrf=browser.get("/staff/login").csrf(),
    )
    assert signed.status == 303
    assert browser.get("/staff/").response.headers["Location"] == "/staff/password"


def test_create_staff_refuses_a_centre_role_without_a_centre(app: Flask, world: World) -> None:
    """A clear error, nothing created."""
    code, output = _run(app, "create-staff", "lonely", "--role", "staff")

    assert code == 1
    assert "centre" in output
