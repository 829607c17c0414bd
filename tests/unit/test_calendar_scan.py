"""The log scan and the privacy audit find a private calendar feed's address."""

from __future__ import annotations

import logging
import secrets

from service.core.text import kinds_in
from tests.support.logscan import FORBIDDEN, Collected


def test_a_logged_calendar_feed_address_is_caught() -> None:
    """A feed's address holds its secret: a line that carries it fails the suite's log scan."""
    handler = Collected()
    logger = logging.getLogger("calendar-scan-test")  # outside "diskret": the real scan ignores it
    logger.addHandler(handler)
    try:
        logger.warning("GET %s", f"/calendar/{secrets.token_urlsafe(32)}.ics")
        logger.warning("GET %s", "/calendar/<secret>.ics")
    finally:
        logger.removeHandler(handler)

    found = [kinds_in(line) & FORBIDDEN for line in handler.lines]

    assert found == [{"calendar-feed"}, set()]
