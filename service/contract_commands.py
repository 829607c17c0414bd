"""The ``diskret contracts`` and ``diskret centres`` commands, for operators without a browser.

Added to the ``diskret`` command by ``service.cli``. They call the same
rules as the staff pages and the API (service.booking.contracts and
.centres) as the system actor, which the audit trail records as the
operator; bad input ends with a message and exit status 2 (click's usage
error), and nothing is saved.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import click
from flask.cli import with_appcontext

from service import db
from service.booking import centres, contracts, directory
from service.core.clock import local_today, utcnow
from service.core.errors import DomainError
from service.identity.actors import SYSTEM
from service.models import Contract

CONFIRM_HINT = "Run it again with --confirm to save it anyway."


# Read as a datetime at midnight by click (a usage error for anything else); the day is used.
DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime) -> date:
    return value.date()


def _refused(error: DomainError) -> click.UsageError:
    """Turn a refusal of the rules into a usage error (exit status 2) that says why."""
    if isinstance(error, contracts.BreaksCompliance):
        lines = [f"{error.text} From {error.data['on']}:"]
        lines += [
            f"  {s['code']} {s['name']}: {s['providers']} providers, {s['outside']} outside"
            for s in error.data["shortfalls"]
        ]
        return click.UsageError("\n".join([*lines, CONFIRM_HINT]))
    field = error.data.get("field")
    return click.UsageError(f"{field}: {error.text}" if field else error.text)


def _line(each: Contract, today: date) -> str:
    last = each.valid_to.isoformat() if each.valid_to else "running"
    state = "ended" if each.valid_to and each.valid_to < today else "valid"
    if each.valid_from > today:
        state = "starts later"
    return (
        f"{each.id}  {each.municipality_code}  {each.centre.name!r} ({each.centre_id})  "
        f"from {each.valid_from.isoformat()}  last day {last}  {state}"
    )


@click.group("contracts")
def contracts_group() -> None:
    """List, add and end municipalities' contracts with centres; show § 101 a, stk. 2."""


@contracts_group.command("list")
@click.option("--municipality", "code", required=True, help="The municipality's code, e.g. 101.")
@with_appcontext
def list_contracts(code: str) -> None:
    """List a municipality's contracts, ended ones included, newest start first."""
    today = local_today(utcnow())
    try:
        found = contracts.listing(db.session(), SYSTEM, code)
    except DomainError:
        raise click.BadParameter(
            "no municipality has that code", param_hint="--municipality"
        ) from None
    for each in found:
        click.echo(_line(each, today))


@contracts_group.command("add")
@click.option("--municipality", "code", required=True, help="The municipality's code, e.g. 101.")
@click.option("--centre", "centre_id", required=True, type=click.UUID, help="The centre's id.")
@click.option("--from", "valid_from", required=True, type=DAY, help="First day, today at least.")
@with_appcontext
def add_contract(code: str, centre_id: uuid.UUID, valid_from: datetime) -> None:
    """Contract a centre for a municipality from a day on."""
    session = db.session()
    try:
        made = contracts.add(
            session,
            SYSTEM,
            municipality_code=code,
            centre_id=centre_id,
            valid_from=_day(valid_from),
            now=utcnow(),
        )
    except DomainError as error:
        raise _refused(error) from None
    session.commit()
    click.echo(
        f"Contract {made.id}: {code} with {made.centre.name!r} from {_day(valid_from).isoformat()}."
    )


@contracts_group.command("end")
@click.option("--id", "contract_id", required=True, type=click.UUID, help="The contract's id.")
@click.option("--on", "ends_on", required=True, type=DAY, help="First day without it.")
@click.option("--confirm", is_flag=True, help="Save it even if § 101 a, stk. 2 breaks.")
@with_appcontext
def end_contract(contract_id: uuid.UUID, ends_on: datetime, confirm: bool) -> None:
    """End a contract: from --on its municipality's citizens cannot book the centre."""
    session = db.session()
    try:
        ended = contracts.end(
            session, SYSTEM, contract_id, ends_on=_day(ends_on), confirmed=confirm, now=utcnow()
        )
    except DomainError as error:
        raise _refused(error) from None
    session.commit()
    click.echo(f"Contract {ended.id} ends: its last day is {_last(ended)}.")


def _last(each: Contract) -> str:
    return each.valid_to.isoformat() if each.valid_to else "open"


@contracts_group.command("compliance")
@click.option("--on", "day", type=DAY, help="The day to judge (default: today).")
@click.option("--all", "every", is_flag=True, help="List complying municipalities too.")
@with_appcontext
def compliance(day: datetime | None, every: bool) -> None:
    """List municipalities short of § 101 a, stk. 2; exit status 1 when any is."""
    on = _day(day) if day else local_today(utcnow())
    found = contracts.standings(db.session(), SYSTEM, on=on)
    short = [each for each in found if not each.complies]
    for each in found if every else short:
        verdict = "complies" if each.complies else "SHORT"
        counts = f"{each.providers} providers, {each.outside} outside"
        click.echo(f"{each.code} {each.name}: {counts}  {verdict}")
    click.echo(
        f"{len(found) - len(short)} of {len(found)} municipalities comply on {on.isoformat()}."
    )
    if short:
        raise SystemExit(1)


@click.group("centres")
def centres_group() -> None:
    """List and close centres (texts are edited on the staff pages or through the API)."""


@centres_group.command("list")
@with_appcontext
def list_centres() -> None:
    """List every centre with its id, municipality and closing day."""
    for each in directory.centres(db.session()):
        closed = f"  closed from {each.closed_from.isoformat()}" if each.closed_from else ""
        click.echo(f"{each.id}  {each.municipality_code}  {each.name!r}{closed}")


@centres_group.command("close")
@click.option("--id", "centre_id", required=True, type=click.UUID, help="The centre's id.")
@click.option("--from", "closed_from", required=True, type=DAY, help="First closed day.")
@click.option("--confirm", is_flag=True, help="Save it even if § 101 a, stk. 2 breaks.")
@with_appcontext
def close_centre(centre_id: uuid.UUID, closed_from: datetime, confirm: bool) -> None:
    """Close a centre from a day: no new courses there, its contracts end that day."""
    session = db.session()
    day = _day(closed_from)
    try:
        ended = centres.close(
            session, SYSTEM, centre_id, closed_from=day, confirmed=confirm, now=utcnow()
        )
    except DomainError as error:
        raise _refused(error) from None
    session.commit()
    click.echo(f"Centre closes from {day.isoformat()}; {len(ended)} contracts end then.")
