"""Audited refusals are committed by the rule, whatever the request's transaction does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service.db import for_reading
from service.identity import accounts, two_factor
from service.models import AuditEvent
from tests.support.staff import PASSWORD, Staff, enrol, make_staff
from tests.support.world import World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _trail(engine: Engine, account_id: uuid.UUID) -> list[str]:
    """Read the account's audit events in a session of its own, as committed."""
    with sessionmaker(bind=for_reading(engine))() as reader:
        return list(
            reader.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_id == account_id)
                .order_by(AuditEvent.at)
            )
        )


def test_a_refused_sign_in_stays_in_the_trail_when_the_transaction_rolls_back(
    session: Session, engine: Engine, staff: Staff
) -> None:
    """The edge rolls a 401 back; the refusal's event was already committed by the rule."""
    account_id = staff["staff_a"].id
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(
            session,
            "staff.a",
            PASSWORD + " but wrong",
            profile=crypto.TEST_PROFILE,
            setup_code_lifetime=timedelta(hours=24),
            now=datetime.now(UTC),
        )
    session.rollback()

    assert _trail(engine, account_id) == ["account.sign_in_refused"]


def test_a_refused_second_factor_code_stays_in_the_trail_when_the_transaction_rolls_back(
    session: Session, engine: Engine, staff: Staff, keyring: crypto.Keyring
) -> None:
    """A wrong TOTP code is in the trail although the request that typed it kept nothing."""
    now = datetime.now(UTC)
    account = staff["admin"]
    enrol(session, keyring, account, now=now)
    account_id = account.id
    before = _trail(engine, account_id)

    with pytest.raises(two_factor.CodeRefused):
        two_factor.verify(session, keyring, account, "000000", profile=crypto.TEST_PROFILE, now=now)
    session.rollback()

    assert _trail(engine, account_id) == [*before, "account.two_factor_refused"]
