"""Logging for the service: one line per event on stderr, with no personal data in any of them.

``DISKRET_LOG_FORMAT`` chooses the shape: ``json`` (the default, for ``diskret
serve`` and a log collector) writes one JSON object per line, ``text`` (for
``diskret demo``, read by a person) one plain line. A JSON line holds only the
fields listed in ``FIELDS``; anything else attached to a record is dropped, so
no ``extra=`` can put a client address or a token into the log (SPEC P3).
"""

from __future__ import annotations

import logging

from flask import Flask
from pythonjsonlogger.core import LogData
from pythonjsonlogger.json import JsonFormatter

LOGGER = "diskret"
# In output order: when, how bad, who said it, what; then the request log's own
# fields (service.web_safety) and a traceback, where there is one.
FIELDS = (
    "time",
    "level",
    "logger",
    "message",
    "method",
    "path",
    "status",
    "duration_ms",
    "exc_info",
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonLines(JsonFormatter):
    """One JSON object per line, holding the listed fields and nothing else."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def process_log_record(self, log_data: LogData) -> LogData:
        """Keep the listed fields, in the listed order; drop every other one."""
        return {field: log_data[field] for field in FIELDS if field in log_data}


def formatter(name: str) -> logging.Formatter:
    """Return the formatter of a ``DISKRET_LOG_FORMAT`` value."""
    return JsonLines() if name == "json" else logging.Formatter(TEXT_FORMAT)


def init_app(app: Flask) -> None:
    """Send the service's own log lines to stderr at INFO, unless logging is already set up."""
    logger = logging.getLogger(LOGGER)
    if app.testing or logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
