"""The log formats: JSON lines hold the listed fields only; the format is configuration."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import pytest

from service import config, logs
from service.demo_commands import demo_environment

CLIENT_ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737): documentation only.


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("diskret.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_drops_every_field_not_listed() -> None:
    """A field nobody listed, such as a client address passed as extra, never reaches the line."""
    record = _record(
        method="GET", path="/", status=200, duration_ms=1.5, remote_addr=CLIENT_ADDRESS
    )

    line = logs.JsonLines().format(record)

    parsed = json.loads(line)
    assert "\n" not in line
    assert list(parsed) == [
        "time",
        "level",
        "logger",
        "message",
        "method",
        "path",
        "status",
        "duration_ms",
    ]
    assert CLIENT_ADDRESS not in line


def test_a_json_line_keeps_a_traceback_on_one_line() -> None:
    """An exception's traceback travels inside the JSON object, so the line stays one line."""
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("diskret", logging.ERROR, __file__, 1, "failed", (), None)
        record.exc_info = sys.exc_info()

    line = logs.JsonLines().format(record)

    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exc_info"]


def test_the_text_format_is_a_plain_line() -> None:
    """The text format is for people: a plain line, not JSON."""

    line = logs.formatter("text").format(_record())

    assert line.endswith("INFO diskret.request GET / 200")


def test_the_format_is_json_unless_configured() -> None:
    """Production logs JSON by default; "text" is accepted; anything else stops the start."""

    assert config.from_environ({})["LOG_FORMAT"] == "json"
    assert config.from_environ({"DISKRET_LOG_FORMAT": " Text"})["LOG_FORMAT"] == "text"
    with pytest.raises(config.ConfigError, match="LOG_FORMAT"):
        config.from_environ({"DISKRET_LOG_FORMAT": "xml"})


def test_the_demo_logs_text(tmp_path: Path) -> None:
    """`diskret demo` is read by a person at a terminal, so it logs plain text."""

    settings = demo_environment(tmp_path / "instance")

    assert settings["LOG_FORMAT"] == "text"


def test_times_are_written_to_the_second() -> None:
    """Neither format writes a fraction of a second, which could tie a line to one request."""
    record = _record()
    record.created = 1_800_000_000.987654

    parsed = json.loads(logs.JsonLines().format(record))
    text = logs.formatter("text").format(record)

    assert parsed["time"] == "2027-01-15T08:00:00+00:00"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO ", text)
