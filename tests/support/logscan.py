"""A pytest plugin: every line the service logs during the whole suite, scanned at the end.

The scan fails the run if any line holds a token, an API key or a client
address (SPEC P2, P3), whichever test made the service log it.
"""

from __future__ import annotations

import logging

import pytest

from service.privacy_audit import kinds_in

FORBIDDEN = {"token", "api-key", "ip-address", "cpr-number", "e-mail"}


class Collected(logging.Handler):
    """Keep each record's message, arguments filled in, with any traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.sources: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the line, and its logger and message template to name it by."""
        self.lines.append(record.getMessage() + "\n" + (record.exc_text or ""))
        self.sources.append(f"{record.name}: {record.msg!r}")


COLLECTED = Collected()


def pytest_configure(config: pytest.Config) -> None:
    """Listen to the service's loggers at every level for the whole run."""
    service = logging.getLogger("diskret")
    service.addHandler(COLLECTED)
    service.setLevel(logging.DEBUG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any logged line holds something identifying."""
    hits = [
        (kinds_in(line) & FORBIDDEN, source)
        for line, source in zip(COLLECTED.lines, COLLECTED.sources, strict=True)
    ]
    found = sorted({kind for kinds, _ in hits for kind in kinds})
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"log scan: {len(COLLECTED.lines)} service log lines, found {found or 'nothing'}"
        )
        # The template, never the line itself: the report must not repeat what it found.
        for source in sorted({source for kinds, source in hits if kinds}):
            reporter.write_line(f"log scan: found in {source}")
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
