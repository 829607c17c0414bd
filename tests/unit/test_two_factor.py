"""The sealed values of two-factor sign-in, and the roles setting, without a database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

import crypto
from service.identity import two_factor
from service.models import Role

KEYRING = crypto.Keyring.parse("1:" + "5a" * 32)
NOW = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)


def test_a_sealed_sign_in_names_its_account_until_it_expires() -> None:
    """Within five minutes the value gives back the account; at five minutes it gives nothing."""
    account = uuid.uuid4()
    sealed = two_factor.seal_sign_in(KEYRING, account, now=NOW)

    almost = two_factor.unseal_sign_in(KEYRING, sealed, now=NOW + timedelta(minutes=4, seconds=59))
    expired = two_factor.unseal_sign_in(KEYRING, sealed, now=NOW + timedelta(minutes=5))

    assert almost == account
    assert expired is None
    assert str(account) not in sealed
    assert account.hex not in sealed


@pytest.mark.parametrize(
    "alter",
    [
        lambda text: text[:-4] + ("AAAA" if text[-4:] != "AAAA" else "BBBB"),
        lambda text: "2" + text[1:],
        lambda text: text.partition(":")[2],
        lambda text: "1:not base64 at all!",
        lambda _text: "",
    ],
    ids=["altered box", "unknown key version", "no version", "not base64", "empty"],
)
def test_an_altered_sign_in_value_gives_nothing(alter: Callable[[str], str]) -> None:
    """Any change to the sealed value, or a value made up, is refused without an exception."""
    sealed = two_factor.seal_sign_in(KEYRING, uuid.uuid4(), now=NOW)

    assert two_factor.unseal_sign_in(KEYRING, alter(sealed), now=NOW) is None


def test_a_sign_in_value_sealed_under_another_key_gives_nothing() -> None:
    """Only the service's own keyring opens it."""
    other = crypto.Keyring.parse("1:" + "a5" * 32)
    sealed = two_factor.seal_sign_in(other, uuid.uuid4(), now=NOW)

    assert two_factor.unseal_sign_in(KEYRING, sealed, now=NOW) is None


def test_an_enrolment_value_is_bound_to_its_account() -> None:
    """A sealed secret does not unseal for another account, nor as a sign-in value."""
    owner, secret = uuid.uuid4(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    sealed = two_factor.seal_pending(KEYRING, owner, secret)

    assert two_factor.unseal_pending(KEYRING, owner, sealed) == secret
    assert two_factor.unseal_pending(KEYRING, uuid.uuid4(), sealed) is None
    assert two_factor.unseal_sign_in(KEYRING, sealed, now=NOW) is None


def test_the_roles_setting_is_parsed_and_an_unknown_role_refused() -> None:
    """Role names separated by spaces; a name that is not a role raises ValueError."""
    assert two_factor.parse_roles(" admin  centre_admin ") == {Role.ADMIN, Role.CENTRE_ADMIN}
    assert two_factor.parse_roles("") == frozenset()
    with pytest.raises(ValueError, match="boss"):
        two_factor.parse_roles("admin boss")
