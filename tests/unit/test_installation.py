"""The `diskret` command refuses to start when `service` or `crypto` is not the one it installed."""

from __future__ import annotations

import base64
import hashlib
import shutil
import sys
import types
from importlib import metadata
from pathlib import Path

import pytest

from service import cli, installation

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record whether the command line itself ran, instead of running it."""
    runs: list[str] = []
    monkeypatch.setattr(cli.cli, "main", lambda **options: runs.append(options["prog_name"]))
    return runs


def test_the_command_starts_with_its_own_modules(started: list[str]) -> None:
    """With the installed service and crypto, `diskret` goes on to its commands."""

    cli.main()

    assert started == ["diskret"]


def test_the_command_refuses_a_crypto_module_of_another_package(
    started: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A `crypto` imported from elsewhere stops `diskret` with one line that names it."""
    shutil.copytree(ROOT / "crypto", tmp_path / "crypto")
    foreign = types.ModuleType("crypto")
    foreign.__file__ = str(tmp_path / "crypto" / "__init__.py")
    monkeypatch.setitem(sys.modules, "crypto", foreign)

    with pytest.raises(SystemExit) as stopped:
        cli.main()

    message = str(stopped.value.code)
    assert started == []
    assert message.startswith("diskret: The module 'crypto' at ")
    assert str(tmp_path / "crypto") in message
    assert "\n" not in message


def _record_line(site: Path, name: str) -> str:
    raw = hashlib.sha256((site / name / "__init__.py").read_bytes()).digest()
    digest = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return f"{name}/__init__.py,sha256={digest},1"


@pytest.fixture
def wheel_site(tmp_path: Path) -> tuple[metadata.Distribution, Path]:
    """Lay out a wheel-style install of service and crypto, with a RECORD of their hashes."""
    site = tmp_path / "site-packages"
    for name in installation.MODULES:
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(f'"""{name} of diskret."""\n')
    info = site / "diskret-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: diskret\nVersion: 0.1.0\n")
    lines = [_record_line(site, name) for name in installation.MODULES]
    (info / "RECORD").write_text("\n".join([*lines, "diskret-0.1.0.dist-info/RECORD,,"]) + "\n")
    return metadata.PathDistribution(info), site


def _installed(site: Path) -> dict[str, Path]:
    return {name: site / name / "__init__.py" for name in installation.MODULES}


def test_a_wheel_install_with_its_recorded_files_is_ours(
    wheel_site: tuple[metadata.Distribution, Path],
) -> None:
    """The files the RECORD lists, with the hashes it records, raise nothing."""
    dist, site = wheel_site

    assert installation.foreign_modules(dist, _installed(site)) == []


def test_a_module_overwritten_by_another_package_is_foreign(
    wheel_site: tuple[metadata.Distribution, Path],
) -> None:
    """Another package's crypto/__init__.py over ours no longer matches the RECORD's hash."""
    dist, site = wheel_site
    (site / "crypto" / "__init__.py").write_text('"""Another package\'s crypto."""\n')

    assert installation.foreign_modules(dist, _installed(site)) == ["crypto"]


def test_a_module_imported_from_another_folder_is_foreign(
    wheel_site: tuple[metadata.Distribution, Path], tmp_path: Path
) -> None:
    """A service found elsewhere on the path is not the installed one, whatever it holds."""
    dist, site = wheel_site
    elsewhere = tmp_path / "elsewhere" / "service"
    shutil.copytree(site / "service", elsewhere)

    found = installation.foreign_modules(
        dist, {**_installed(site), "service": elsewhere / "__init__.py"}
    )

    assert found == ["service"]
