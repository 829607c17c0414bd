"""The suite-wide log scan would notice a token, a key or an address in a log line."""

from __future__ import annotations

import logging

import crypto
from service.privacy_audit import kinds_in
from tests.support.logscan import FORBIDDEN, Collected


def test_a_logged_token_key_or_address_is_caught() -> None:
    """Arguments are filled in before the scan, so a %s-formatted token is seen too."""
    handler = Collected()
    logger = logging.getLogger("logscan-test")  # outside "diskret": the real scan must not see it
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.info("code %s", crypto.generate_token())
        logger.warning("key %s", crypto.generate_api_key())
        logger.debug("from %s", "192.0.2.8")
    finally:
        logger.removeHandler(handler)

    found = [kinds_in(line) & FORBIDDEN for line in handler.lines]

    assert found == [{"token"}, {"api-key"}, {"ip-address"}]
