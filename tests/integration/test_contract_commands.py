"""The ``diskret contracts`` and ``diskret centres`` commands, for operators without a browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import cli
from service.core.clock import local_today
from service.models import AuditEvent, Centre, Contract
from tests.support.world import HOME, World

AARHUS = "751"


def _invoke(app: Flask, *args: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))
    return result.exit_code, result.output


def _today() -> str:
    return local_today(datetime.now(UTC)).isoformat()


def _contract(reader: Session, code: str, centre: object) -> Contract:
    found = reader.scalars(
        select(Contract).where(Contract.municipality_code == code, Contract.centre_id == centre)
    ).one()
    reader.rollback()
    return found


def test_add_contracts_a_centre_and_list_shows_it_audited_as_the_operator(
    app: Flask, reader: Session, world: World
) -> None:
    """Århus contracts centre A from today; the list shows it; the event's actor is the system."""

    code, output = _invoke(
        app,
        "contracts",
        "add",
        "--municipality",
        AARHUS,
        "--centre",
        str(world.centre_a),
        "--from",
        _today(),
    )
    listed_code, listed = _invoke(app, "contracts", "list", "--municipality", AARHUS)

    assert code == 0, output
    assert listed_code == 0
    assert f"751  'Centre A' ({world.centre_a})  from {_today()}  last day running  valid" in listed
    made = _contract(reader, AARHUS, world.centre_a)
    event = reader.scalars(select(AuditEvent).where(AuditEvent.object_id == made.id)).one()
    assert (event.action, event.actor_kind, event.actor_id) == ("contract.created", "system", None)


def test_bad_input_exits_2_with_a_clear_message_and_saves_nothing(
    app: Flask, reader: Session, world: World
) -> None:
    """A malformed day, a day in the past and an overlapping contract each end with status 2."""
    yesterday = (local_today(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    centre = str(world.centre_a)

    malformed = _invoke(
        app, "contracts", "add", "--municipality", AARHUS, "--centre", centre, "--from", "1.2.2027"
    )
    past = _invoke(
        app, "contracts", "add", "--municipality", AARHUS, "--centre", centre, "--from", yesterday
    )
    overlap = _invoke(
        app, "contracts", "add", "--municipality", HOME, "--centre", centre, "--from", _today()
    )
    unknown = _invoke(app, "contracts", "list", "--municipality", "999")

    assert malformed[0] == 2
    assert "1.2.2027" in malformed[1]
    assert past[0] == 2
    assert "valid_from: A contract starts today at the earliest." in past[1]
    assert overlap[0] == 2
    assert "already has a contract with this centre" in overlap[1]
    assert unknown[0] == 2
    assert "no municipality has that code" in unknown[1]
    assert reader.scalars(select(Contract).where(Contract.municipality_code == AARHUS)).all() == []


def test_ending_the_last_outside_provider_needs_confirm(
    app: Flask, reader: Session, world: World
) -> None:
    """Without --confirm the end is refused with the shortfall (status 2); with it, it is saved."""
    contract = _contract(reader, HOME, world.centre_b)

    refused = _invoke(app, "contracts", "end", "--id", str(contract.id), "--on", _today())
    saved = _invoke(
        app, "contracts", "end", "--id", str(contract.id), "--on", _today(), "--confirm"
    )

    assert refused[0] == 2
    assert "101 København: 1 providers, 0 outside" in refused[1]
    assert "--confirm" in refused[1]
    assert saved[0] == 0, saved[1]
    ended = _contract(reader, HOME, world.centre_b)
    assert ended.valid_to == local_today(datetime.now(UTC)) - timedelta(days=1)


def test_compliance_lists_the_municipalities_short_and_exits_1(app: Flask, world: World) -> None:
    """In the tests' world only three municipalities comply; Århus is listed as short."""

    code, output = _invoke(app, "contracts", "compliance")

    assert code == 1
    assert "751 Aarhus: 0 providers, 0 outside  SHORT" in output
    assert "3 of 98 municipalities comply" in output


def test_centres_close_ends_the_centres_contracts(
    app: Flask, reader: Session, world: World
) -> None:
    """Closing centre C (Odense's only provider in Odense) with --confirm ends its contract."""
    refused = _invoke(app, "centres", "close", "--id", str(world.centre_c), "--from", _today())
    closed = _invoke(
        app, "centres", "close", "--id", str(world.centre_c), "--from", _today(), "--confirm"
    )

    assert refused[0] == 2
    assert closed[0] == 0, closed[1]
    assert reader.get_one(Centre, world.centre_c).closed_from == local_today(datetime.now(UTC))
    listed = _invoke(app, "centres", "list")[1]
    assert f"{world.centre_c}  461  'Centre C'  closed from {_today()}" in listed
