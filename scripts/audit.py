"""Check the locked dependencies against PyPI's vulnerability data, with pip-audit.

Exits 1 when a locked version has a known vulnerability. Where PyPI's
vulnerability data cannot be reached (a mirror that does not serve it, no
network), it says loudly that nothing was checked, and exits 0, or 1 when
``DISKRET_AUDIT_REQUIRED=1`` asks for the check to be a gate. It never reports
an unchecked lock as clean.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LOCK = Path("requirements/test.txt")
PROBE = "https://pypi.org/pypi/{name}/{version}/json"
BANNER = "!" * 72


def _first_pin(lock: Path) -> tuple[str, str]:
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, rest = line.partition("==")
            return name, rest.split()[0].rstrip("\\").strip()
    raise SystemExit(f"audit: no pinned version in {lock}")


def unreachable(lock: Path, probe: str = PROBE) -> str | None:
    """Return why PyPI's vulnerability data cannot be read from here, or None if it can."""
    name, version = _first_pin(lock)
    url = probe.format(name=name, version=version)
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (https, or a test's)
            document = json.load(answer)
    except urllib.error.HTTPError as error:
        error.close()
        return f"{url} answered {error}"
    except (OSError, ValueError) as error:
        return f"{url} could not be read: {error}"
    if "vulnerabilities" not in document:
        return f"{url} holds no vulnerability data"
    return None


def not_checked(why: str) -> int:
    """Say loudly that nothing was checked; fail only where the check is required."""
    required = os.environ.get("DISKRET_AUDIT_REQUIRED") == "1"
    print(BANNER, file=sys.stderr)
    print("audit: the dependencies were NOT checked for known vulnerabilities:", file=sys.stderr)
    print(f"audit: {why}.", file=sys.stderr)
    print("audit: run scripts/audit where pypi.org can be reached.", file=sys.stderr)
    print(BANNER, file=sys.stderr)
    return 1 if required else 0


def verdict(report: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Split pip-audit's JSON report into the vulnerable pins and those it could not check."""
    vulnerable: list[str] = []
    skipped: list[str] = []
    for dependency in report["dependencies"]:
        pin = f"{dependency['name']}=={dependency.get('version', '?')}"
        if "skip_reason" in dependency:
            skipped.append(f"{pin}: {dependency['skip_reason']}")
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version"
            vulnerable.append(f"{pin}: {vulnerability['id']} (fixed in {fixed})")
    return vulnerable, skipped


def main() -> int:
    """Audit the test lock, which holds every runtime dependency too."""
    why = unreachable(LOCK)
    if why is not None:
        return not_checked(why)
    audit = [sys.executable, "-m", "pip_audit", "--requirement", str(LOCK), "--require-hashes"]
    audit += ["--disable-pip", "--progress-spinner", "off", "--format", "json", "--timeout", "10"]
    run = subprocess.run(audit, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return not_checked(f"pip-audit gave no report: {run.stderr.strip()[-300:]}")
    vulnerable, skipped = verdict(report)
    if len(skipped) == len(report["dependencies"]):
        return not_checked("pip-audit could check none of them")
    for line in vulnerable:
        print(f"audit: VULNERABLE {line}", file=sys.stderr)
    for line in skipped:
        print(f"audit: not checked {line}", file=sys.stderr)
    checked = len(report["dependencies"]) - len(skipped)
    print(f"audit: {checked} locked dependencies checked, {len(vulnerable)} known vulnerabilities")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
