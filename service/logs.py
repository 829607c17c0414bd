"""Logging for the service: one line per event on stderr, with no personal data in any of them."""

from __future__ import annotations

import logging

from flask import Flask

LOGGER = "diskret"


def init_app(app: Flask) -> None:
    """Send the service's own log lines to stderr at INFO, unless logging is already set up."""
    logger = logging.getLogger(LOGGER)
    if app.testing or logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
