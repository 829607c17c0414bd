"""The rate limiter's keys: IPv6 clients by /64, IPv4 by address, each read once a request."""

from __future__ import annotations

import pytest
from flask import Flask, request

import crypto
from service.http.credentials import bearer_credential
from service.http.keyring import KEYRING
from service.limits import client_key
from tests.conftest import TEST_TOKEN_KEY


@pytest.fixture(scope="module")
def keyed() -> Flask:
    """Return a bare app holding the tests' keyring, as the limiter finds it."""
    app = Flask(__name__)
    app.extensions[KEYRING] = crypto.Keyring.parse(TEST_TOKEN_KEY)
    return app


def _key(app: Flask, address: str) -> str:
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        return client_key()


def test_two_addresses_in_one_ipv6_64_share_a_key(keyed: Flask) -> None:
    """A /64 is what one IPv6 subscriber gets: every address in it counts as one client."""

    first, second = _key(keyed, "2001:db8:1:2::1"), _key(keyed, "2001:db8:1:2:ffff:ee:dd:cc")

    assert first == second


def test_addresses_in_different_ipv6_64s_do_not_share_a_key(keyed: Flask) -> None:
    """The next /64 over is another client."""

    first, second = _key(keyed, "2001:db8:1:2::1"), _key(keyed, "2001:db8:1:3::1")

    assert first != second


def test_ipv4_addresses_stay_one_client_each(keyed: Flask) -> None:
    """Neighbouring IPv4 addresses are different clients."""

    first, second = _key(keyed, "192.0.2.1"), _key(keyed, "192.0.2.2")

    assert first != second


def test_an_ipv4_mapped_ipv6_address_counts_as_its_ipv4_address(keyed: Flask) -> None:
    """::ffff:192.0.2.1 is 192.0.2.1, and not one /64 with every other mapped address."""

    mapped, plain = _key(keyed, "::ffff:192.0.2.1"), _key(keyed, "192.0.2.1")
    other = _key(keyed, "::ffff:192.0.2.2")

    assert mapped == plain
    assert mapped != other


def test_the_client_is_hashed_once_a_request_and_only_the_hash_is_kept(keyed: Flask) -> None:
    """Every limit of a request shares one key; no new place in the request holds the address."""
    address = "192.0.2.77"
    with keyed.test_request_context(environ_base={"REMOTE_ADDR": address}):
        holding = {name for name, value in request.environ.items() if address in str(value)}
        first = client_key()
        kept = {name for name, value in request.environ.items() if address in str(value)}
        request.environ["REMOTE_ADDR"] = "192.0.2.78"
        second = client_key()

    assert second == first  # the second call did not read the address again
    assert kept == holding
    assert len(first) == 32
    assert int(first, 16) >= 0  # a hex digest, not the address


def test_the_bearer_credential_is_read_once_a_request(keyed: Flask) -> None:
    """Authentication and every limit of a request see the one credential read first."""
    with keyed.test_request_context(headers={"Authorization": "bearer   dsk_first "}):
        first = bearer_credential()
        request.environ["HTTP_AUTHORIZATION"] = "Bearer dsk_second"
        second = bearer_credential()

    assert (first, second) == ("dsk_first", "dsk_first")
