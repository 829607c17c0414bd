"""The suite-wide log scan would notice a token, a key or an address in a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

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


def test_a_finding_in_any_xdist_worker_fails_the_whole_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker sends its scan to the controller, which reports and fails on any finding."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makepyfile(
        test_logging=f"""
        import logging

        def test_quiet():
            logging.getLogger("diskret.request").info("GET /healthz 200")

        def test_leaks():
            logging.getLogger("diskret.request").info("code %s", "{crypto.generate_token()}")
        """
    )

    result = pytester.runpytest_subprocess("-p", "tests.support.logscan", "-n", "2")

    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    assert "log scan: 2 service log lines, found ['token']" in output
    assert "log scan: found in diskret.request: 'code %s'" in output
