"""Text that staff type refuses a CPR number however written, e-mail, phone and IP (SPEC P1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.cli import cli
from service.models import ApiKey, Centre, Group, StaffAccount, Webhook
from tests.support.staff import Staff, group_form, make_staff, sign_in, submit
from tests.support.world import HOME, World

# Obviously fake values, one of each form the rule must refuse.
PERSONAL = {
    "cpr spaced dash": "010190 - 1234",
    "cpr dotted": "01.01.90.1234",
    "cpr unicode hyphen": "010190\u20111234",
    "cpr en dash": "010190\u20131234",
    "cpr zero-width joiner": "0101\u200d90\u200b1234",
    "e-mail": "nogen@example.invalid",
    "phone": "+45 12 34 56 78",
    "ipv4": "192.0.2.7",
    "loopback": "127.0.0.1",
    "ipv6": "2001:db8::7",
}
REFUSED = "ligner et CPR-nummer, en e-mailadresse, et telefonnummer eller en IP-adresse"
CASES = pytest.mark.parametrize("value", list(PERSONAL.values()), ids=list(PERSONAL))


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(model)) or 0
    session.commit()  # end the read, so that SQLite's writers need not wait for it
    return count


@CASES
def test_a_group_name_with_personal_data_is_refused(
    client: FlaskClient, session: Session, staff: Staff, now: datetime, value: str
) -> None:
    """The group page answers 422 with the reason by the name, and no group is made."""
    sign_in(client, staff["staff_a"])
    before = _count(session, Group)
    form = group_form(now, name=f"Gruppe {value}")

    answer = submit(client, "/staff/groups", "/staff/groups", form)

    assert answer.status == 422
    assert REFUSED in answer.text()
    assert _count(session, Group) == before


@CASES
def test_a_centre_text_with_personal_data_is_refused(
    client: FlaskClient, session: Session, staff: Staff, value: str
) -> None:
    """A centre's entrance text holding any form is refused, and no centre is made."""
    sign_in(client, staff["admin"])
    before = _count(session, Centre)
    form = {
        "name": "Center Nørrebro",
        "municipality": HOME,
        "address": "Nørrebrogade 100, 2200 København N",
        "entrance": f"Gennem porten, spørg efter {value}.",
        "opening_hours": "Man-tors 9-19",
        "languages": "da",
    }

    answer = submit(client, "/staff/centres", "/staff/centres", form)

    assert answer.status == 422
    assert REFUSED in answer.text()
    assert _count(session, Centre) == before


@pytest.mark.parametrize(
    "value",
    ["010190-1234", "01.01.90.1234", "0101901234", "12345678", "192.0.2.7", "127.0.0.1"],
)
def test_a_username_with_personal_data_is_refused(
    client: FlaskClient, session: Session, staff: Staff, world: World, value: str
) -> None:
    """A username may hold digits, dots and dashes, but not a CPR number, phone or address."""
    sign_in(client, staff["admin_a"])
    before = _count(session, StaffAccount)
    form = {"username": value, "role": "staff", "centre": str(world.centre_a)}

    answer = submit(client, "/staff/accounts", "/staff/accounts", form)

    assert answer.status == 422
    assert REFUSED in answer.text()
    assert _count(session, StaffAccount) == before


@CASES
def test_an_api_key_name_with_personal_data_is_refused(
    client: FlaskClient, session: Session, staff: Staff, value: str
) -> None:
    """The key form answers 422 and no key is made or shown."""
    sign_in(client, staff["admin"])
    before = _count(session, ApiKey)
    form = {"name": f"Sagssystem {value}", "scopes": "stats:read", "reach": "national"}

    answer = submit(client, "/staff/api-keys", "/staff/api-keys", form)

    assert answer.status == 422
    assert REFUSED in answer.text()
    assert "dsk_" not in answer.html
    assert _count(session, ApiKey) == before


@CASES
def test_a_webhook_name_with_personal_data_is_refused(
    app: Flask, session: Session, value: str
) -> None:
    """`diskret create-webhook` stops with the reason and registers nothing."""
    arguments = ["create-webhook", f"Hook {value}", "https://example.invalid/hook"]
    result = CliRunner().invoke(
        cli, [*arguments, "--event", "course.erased"], obj=ScriptInfo(create_app=lambda: app)
    )

    assert result.exit_code == 2
    assert "a CPR number, an e-mail address, a phone number or an IP address" in result.output
    assert value not in result.output
    assert _count(session, Webhook) == 0
