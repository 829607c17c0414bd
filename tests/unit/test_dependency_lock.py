"""The lock files pin every dependency pyproject.toml names, within its range, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(\[[^\]]*\])?==(?P<version>[^\s;\\]+)")


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{match['name']} in {lock} has no hash"
            pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def _declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(name) for name in names]


@pytest.mark.parametrize(("lock", "extra"), [("runtime.txt", None), ("test.txt", "test")])
def test_every_declared_dependency_is_pinned_within_its_range(lock: str, extra: str | None) -> None:
    """A dependency added to pyproject.toml without running scripts/lock fails here."""
    pins = _pins(lock)

    for requirement in _declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements/{lock}: run scripts/lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name]} outside {requirement.specifier}"
        )


def test_the_image_and_the_tests_run_the_same_versions() -> None:
    """What the tests pass on is what the image runs: the runtime lock agrees with the test lock."""
    runtime, test = _pins("runtime.txt"), _pins("test.txt")

    assert runtime
    assert {name: test.get(name) for name in runtime} == runtime


def test_the_image_installs_from_the_lock() -> None:
    """The Dockerfile installs the runtime lock with its hashes, then the code alone."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")

    assert "pip install --require-hashes -r requirements/runtime.txt" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert re.search(r"pip install (?!--require-hashes|--no-deps)", dockerfile) is None


def test_the_benchmarks_tools_are_declared_and_left_out_of_the_lock() -> None:
    """docs/performance.md: py-spy and granian are the `bench` extra, which the lock leaves out."""
    runtime = {canonicalize_name(requirement.name) for requirement in _declared(None)}
    declared = {canonicalize_name(r.name) for r in _declared("bench")} - runtime
    pins = _pins("test.txt")

    assert {"py-spy", "granian"} <= declared
    assert not declared & set(pins)
