"""Logging for the service: one line per event on stderr, with no personal data in any of them.

``DISKRET_LOG_FORMAT`` chooses the shape: ``json`` (the default, for ``diskret
serve`` and a log collector) writes one JSON object per line, ``text`` (for
``diskret demo``, read by a person) one plain line. A JSON line holds only the
fields listed in ``FIELDS``; anything else attached to a record is dropped, so
no ``extra=`` can put a client address or a token into the log (SPEC P3).
Times are written to the second: a finer one would let a line be matched to
one request in any other record of the same moment (a proxy's, say).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask
from pythonjsonlogger.core import LogData
from pythonjsonlogger.json import JsonFormatter

from service.core.text import kinds_in

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
TEXT_TIME = "%Y-%m-%d %H:%M:%S"


class JsonLines(JsonFormatter):
    """One JSON object per line, holding the listed fields and nothing else."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def process_log_record(self, log_data: LogData) -> LogData:
        """Keep the listed fields, in the listed order, the time to the second; drop the rest."""
        kept = {field: log_data[field] for field in FIELDS if field in log_data}
        if isinstance(kept.get("time"), datetime):
            kept["time"] = kept["time"].replace(microsecond=0)
        return kept


def formatter(name: str) -> logging.Formatter:
    """Return the formatter of a ``DISKRET_LOG_FORMAT`` value."""
    return JsonLines() if name == "json" else logging.Formatter(TEXT_FORMAT, TEXT_TIME)


# gunicorn's lines whose arguments name nothing but gunicorn itself.
_PLAIN_TEMPLATES = frozenset(
    {"Starting gunicorn %s", "Using worker: %s", "Handling signal: %s", "Shutting down: %s"}
)
# gunicorn formats this one itself, with the peer's address and the request
# line it could not parse (a code or a CPR number typed into a path).
_INVALID_REQUEST = "Invalid request from ip="
INVALID_REQUEST = "Invalid request: neither its sender nor its text is logged"
WITHHELD_ARGUMENT = "[withheld]"
WITHHELD = "A server message was withheld: it held something identifying"


class ServerLines(logging.Filter):
    """Keep gunicorn's own lines to their templates: no address, request line or path in them.

    A line keeps its arguments only when they are process ids or name gunicorn
    itself; the others (listening addresses, a request's URI, a socket error's
    text) are written as ``[withheld]``, and a line that still holds anything
    identifying is replaced whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; every record is still written."""
        template = str(record.msg)
        if template.startswith(_INVALID_REQUEST):
            template, record.args = INVALID_REQUEST, ()
        elif isinstance(record.args, tuple) and template not in _PLAIN_TEMPLATES:
            record.args = tuple(
                argument if isinstance(argument, int) else WITHHELD_ARGUMENT
                for argument in record.args
            )
        elif record.args and template not in _PLAIN_TEMPLATES:
            # Named arguments (a mapping): none of gunicorn's lines has them.
            template, record.args = WITHHELD, ()
        record.msg = template
        if kinds_in(record.getMessage()):
            record.msg, record.args = WITHHELD, ()
        return True


def init_app(app: Flask) -> None:
    """Send the service's own log lines to stderr at INFO, unless logging is already set up."""
    logger = logging.getLogger(LOGGER)
    if app.testing or logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
