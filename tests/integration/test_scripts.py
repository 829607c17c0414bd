"""The developer's scripts: the checks' own environment, and part of the suite on its own."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import databases

ROOT = Path(__file__).resolve().parents[2]


def test_the_checks_never_install_into_the_demos_environment() -> None:
    """The checks use .venv-test; the README's demo runs from .venv."""
    environment = (ROOT / "scripts" / "environment").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert "venv=${DISKRET_TEST_VENV:-.venv-test}" in environment
    assert "pip install --quiet --require-hashes -r requirements/test.txt" in environment
    assert ".venv/bin/pip install . && .venv/bin/diskret demo" in readme
    for script in ("test", "lint", "audit"):
        assert "source scripts/environment" in (ROOT / "scripts" / script).read_text("utf-8")


def _installed_from_the_lock(venv: Path) -> bool:
    wanted = hashlib.sha256(
        (ROOT / "requirements" / "test.txt").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    stamp = venv / ".installed"
    return stamp.exists() and stamp.read_text(encoding="utf-8").strip() == wanted


def test_scripts_test_with_a_path_runs_that_part_alone() -> None:
    """`scripts/test <path>` runs pytest on that path only: no lint, no audit, no whole suite."""
    venv = Path(sys.prefix)
    if not _installed_from_the_lock(venv):
        if databases.in_ci():
            pytest.fail(f"CI runs the tests from scripts/test's environment, not {venv}")
        pytest.skip(f"{venv} was not installed by scripts/environment")
    environ = {**os.environ, "DISKRET_TEST_VENV": str(venv)}
    environ.pop("PYTEST_XDIST_WORKER", None)

    run = subprocess.run(
        ["scripts/test", "tests/unit/test_clock.py", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^\d+ passed", run.stdout.splitlines()[-1])
    assert "== ruff" not in run.stdout
    assert "== pytest" not in run.stdout
