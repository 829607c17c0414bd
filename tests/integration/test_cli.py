"""The ``diskret`` command: the demo, the demo data and API keys."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import crypto
from service import demo
from service.booking.directory import compliance_report
from service.cli import cli
from service.core.clock import local_today
from service.models import ApiKey, AuditEvent, Centre, Group, Municipality, Slot
from tests.support.processes import diskret, free_port, running


def _invoke(app: Flask, *args: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(cli, list(args), obj=_script_info(app), catch_exceptions=False)
    return result.exit_code, result.output


def _script_info(app: Flask) -> object:
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_seed_demo_meets_section_101a_for_every_municipality(app: Flask, reader: Session) -> None:
    """The demo has 98 municipalities, 6+ centres in 3+ regions, and no § 101 a shortfall."""

    code, output = _invoke(app, "seed-demo")

    assert code == 0, output
    assert reader.scalar(select(func.count(Municipality.code))) == 98
    regions = reader.scalars(
        select(Municipality.region).join(Centre, Centre.municipality_code == Municipality.code)
    ).all()
    assert len(regions) >= 6
    assert len(set(regions)) >= 3
    assert compliance_report(reader, on=local_today(datetime.now(UTC))) == []
    assert (reader.scalar(select(func.count(Slot.id))) or 0) > 0
    nearly_full = [g for g in reader.scalars(select(Group)) if 0 < g.capacity - g.places_taken <= 2]
    assert nearly_full


def test_seed_demo_twice_leaves_the_data_alone(app: Flask, reader: Session) -> None:
    """Seeding again adds nothing."""
    _invoke(app, "seed-demo")
    centres = reader.scalar(select(func.count(Centre.id)))
    reader.rollback()

    code, output = _invoke(app, "seed-demo")

    assert code == 0
    assert "left alone" in output
    assert reader.scalar(select(func.count(Centre.id))) == centres


def test_create_api_key_prints_the_key_once_on_the_last_line(app: Flask, reader: Session) -> None:
    """The key is printed on the last line and stored only as a digest."""
    _invoke(app, "seed-demo")
    centre_id = reader.scalars(select(Centre.id)).first()
    reader.rollback()

    code, output = _invoke(
        app, "create-api-key", "Kalender", "--scope", "centre:manage", "--centre", str(centre_id)
    )

    key = output.strip().splitlines()[-1]
    assert code == 0
    assert crypto.is_api_key_shaped(key)
    stored = reader.scalars(select(ApiKey)).one()
    assert (stored.scopes, stored.centre_id) == ("centre:manage", centre_id)
    assert key.encode() not in stored.digest


def test_create_api_key_refuses_an_unknown_centre(app: Flask) -> None:
    """A centre id that does not exist is a usage error, and no key is printed."""

    code, output = _invoke(
        app,
        "create-api-key",
        "X",
        "--scope",
        "centre:manage",
        "--centre",
        "00000000-0000-4000-8000-000000000000",
    )

    assert code == 2
    assert "dsk_" not in output


def test_api_keys_are_listed_without_the_key_and_revoked_with_an_audit_event(
    app: Flask, reader: Session
) -> None:
    """The CLI goes through the same rules as the staff pages: no key in the list, audited."""
    _, output = _invoke(app, "create-api-key", "Statistik", "--scope", "stats:read")
    key = output.strip().splitlines()[-1]
    key_id = reader.scalars(select(ApiKey.id)).one()
    reader.rollback()

    _, listed = _invoke(app, "list-api-keys")
    code, revoked = _invoke(app, "revoke-api-key", str(key_id))
    unknown, _ = _invoke(app, "revoke-api-key", "00000000-0000-4000-8000-000000000000")

    assert key not in listed
    assert "'Statistik'  stats:read  national" in listed
    assert listed.rstrip().endswith("active")
    assert (code, revoked.strip()) == (0, "Revoked 'Statistik'.")
    assert unknown == 2
    assert reader.get_one(ApiKey, key_id).revoked_at is not None
    actions = reader.scalars(select(AuditEvent.action).order_by(AuditEvent.at)).all()
    assert actions == ["api_key.created", "api_key.revoked"]


@pytest.mark.slow
def test_demo_serves_on_its_port_with_secrets_kept_private(tmp_path: Path) -> None:
    """`diskret demo --port N` migrates, seeds and serves; its secrets file has mode 0600."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DISKRET_")}
    command = diskret("demo", "--port", str(port), "--instance", str(tmp_path / "instance"))
    with (
        (tmp_path / "demo.log").open("w+b") as log,
        running(command, port, environment, log) as base,
    ):
        providers = httpx.get(f"{base}/api/v1/municipalities/101/providers").json()
        pages = [httpx.get(f"{base}{path}") for path in ("/", "/staff/login")]

        assert len(providers) >= 2
        assert [page.status_code for page in pages] == [200, 200]
        mode = stat.S_IMODE((tmp_path / "instance" / "secrets.json").stat().st_mode)
        assert mode == 0o600


def test_the_demo_has_one_staff_account_per_role_once(app: Flask, session: Session) -> None:
    """Four accounts with setup codes on the first run, none on the next."""
    _invoke(app, "seed-demo")

    first = demo.seed_staff(session, now=datetime.now(UTC))
    session.commit()
    again = demo.seed_staff(session, now=datetime.now(UTC))

    assert sorted(role for _, role, _ in first) == ["admin", "centre_admin", "coordinator", "staff"]
    assert all(len(code) >= 16 for _, _, code in first)
    assert again == []


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("SECRET_KEY", "changeme", "DISKRET_SECRET_KEY is too weak: shorter than 32 bytes"),
        ("SECRET_KEY", "0" * 64, "DISKRET_SECRET_KEY is too weak: a short pattern repeated"),
        ("SECRET_KEY", "dev-" * 12, "DISKRET_SECRET_KEY is too weak: a short pattern repeated"),
        (
            "SECRET_KEY",
            "please-changeme-before-going-live-42",
            "DISKRET_SECRET_KEY is too weak: a placeholder, not a random value",
        ),
        (
            "TOKEN_KEY",
            f"{crypto.Keyring.generate_config()},2:{'00' * 32}",
            "DISKRET_TOKEN_KEY version 2 is too weak: a short pattern repeated",
        ),
    ],
)
def test_serve_refuses_to_start_with_a_weak_secret(
    tmp_path: Path, name: str, value: str, line: str
) -> None:
    """One line names the setting and the weakness, never the value, and nothing starts."""
    environ = {
        "DISKRET_DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}",
        "DISKRET_SECRET_KEY": "a-long-random-looking-secret-8f3k2j5h7g9d1s0q",
        "DISKRET_TOKEN_KEY": crypto.Keyring.generate_config(),
        f"DISKRET_{name}": value,
    }

    result = CliRunner().invoke(cli, ["serve", "--bind", "127.0.0.1:1"], env=environ)

    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {line}"
    assert value not in result.output
    assert not (tmp_path / "never.sqlite3").exists()
