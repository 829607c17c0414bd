"""A pytest plugin: every line the service logs during the whole suite, scanned at the end.

The scan fails the run if any line holds a token, an API key, a calendar
feed's address or a client address (SPEC P2, P3), whichever test made the
service log it, in whichever pytest-xdist worker.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from service.privacy_audit import kinds_in

FORBIDDEN = {"token", "api-key", "calendar-feed", "ip-address", "cpr-number", "e-mail"}


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


def _scan() -> dict[str, Any]:
    """Return how many lines were kept here, the kinds found and the templates that held them."""
    hits = [
        (kinds_in(line) & FORBIDDEN, source)
        for line, source in zip(COLLECTED.lines, COLLECTED.sources, strict=True)
    ]
    return {
        "lines": len(COLLECTED.lines),
        "found": sorted({kind for kinds, _ in hits for kind in kinds}),
        "sources": sorted({source for kinds, source in hits if kinds}),
    }


# Under pytest-xdist each worker scans what it logged and sends the result
# to the controller, which reports on the whole run.
FROM_WORKERS: list[dict[str, Any]] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Keep a finished worker's scan (an xdist hook, run on the controller)."""
    scan = getattr(node, "workeroutput", {}).get("logscan")
    if scan is not None:
        FROM_WORKERS.append(scan)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any logged line holds something identifying."""
    scan = _scan()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["logscan"] = scan
        return
    scans = [scan, *FROM_WORKERS]
    lines = sum(each["lines"] for each in scans)
    found = sorted({kind for each in scans for kind in each["found"]})
    sources = sorted({source for each in scans for source in each["sources"]})
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"log scan: {lines} service log lines, found {found or 'nothing'}")
        # The template, never the line itself: the report must not repeat what it found.
        for source in sources:
            reporter.write_line(f"log scan: found in {source}")
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
