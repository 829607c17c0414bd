"""A throwaway PostgreSQL cluster of a test's own, which the test may stop and start at will.

The shared server of ``DISKRET_TEST_POSTGRES_URL`` serves other tests at the
same time and must never be restarted, so fault tests start a cluster of
their own from the server binaries on the machine: a temporary folder, a free
loopback port, trust authentication for ``postgres`` and no fsync (nothing
here needs to survive a power cut). PostgreSQL refuses to run as root: under
root, as in CI, the folder is handed to the ``postgres`` account (or
``nobody``) and every server command runs as that account.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import in_ci
from tests.support.processes import free_port

# Where distributions put the server binaries when they are not on PATH:
# Debian and Ubuntu (one folder per major version), then a source build.
_BINARY_FOLDERS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")
# Accounts that may own the cluster when the tests run as root.
_OWNERS = ("postgres", "nobody")


def server_binaries() -> Path | None:
    """Return the folder holding ``initdb`` and ``pg_ctl``, or None when there is none."""
    on_path = shutil.which("initdb"), shutil.which("pg_ctl")
    if on_path[0] and on_path[1]:
        # pg_ctl finds the ``postgres`` binary next to itself, so symbolic links are followed.
        return Path(on_path[1]).resolve().parent
    found = [
        folder
        for pattern in _BINARY_FOLDERS
        for folder in Path("/").glob(pattern.lstrip("/"))
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists()
    ]
    return max(found, key=_major_version, default=None)


def _major_version(folder: Path) -> int:
    match = re.search(r"/(\d+)/bin$", str(folder))
    return int(match.group(1)) if match else 0


def require_server_binaries() -> Path:
    """Return the server binaries' folder; skip without them on a laptop, fail in CI."""
    folder = server_binaries()
    if folder is not None:
        return folder
    what = "PostgreSQL server binaries (initdb, pg_ctl)"
    if in_ci():
        pytest.fail(f"{what} are required in CI: install the postgresql package")
    pytest.skip(f"{what} not found on PATH or under /usr/lib/postgresql")


def _run_as_owner(folder: Path) -> list[str]:
    """Return the command prefix that runs a server command as the folder's owner."""
    if os.geteuid() != 0:
        return []
    for name in _OWNERS:
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        os.chown(folder, account.pw_uid, account.pw_gid)
        if runuser := shutil.which("runuser"):
            return [runuser, "-u", name, "--"]
        if setpriv := shutil.which("setpriv"):
            return [
                setpriv,
                f"--reuid={account.pw_uid}",
                f"--regid={account.pw_gid}",
                "--clear-groups",
            ]
        raise RuntimeError("running as root needs runuser or setpriv to start PostgreSQL")
    raise RuntimeError(f"running as root needs one of the accounts {', '.join(_OWNERS)}")


@dataclass(frozen=True)
class Cluster:
    """A PostgreSQL cluster in a folder of its own, listening on one loopback port."""

    binaries: Path
    folder: Path
    port: int
    as_owner: list[str]

    @property
    def data(self) -> Path:
        """Return the cluster's data directory."""
        return self.folder / "data"

    @property
    def url(self) -> str:
        """Return the URL of the cluster's ``postgres`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def initialise(self) -> None:
        """Create the data directory: trust for ``postgres`` on loopback, UTF-8, no locale."""
        self._run(
            str(self.binaries / "initdb"),
            "--pgdata",
            str(self.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(_settings(self.port))

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("start", "--log", str(self.folder / "server.log"))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` ends every session at once, as a restart in production does."""
        self._pg_ctl("stop", "--mode", mode)

    def stop_if_running(self) -> None:
        """Stop the server at once if it runs, whatever state a failed test left it in."""
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")

    def log(self) -> str:
        """Return what the server has logged so far."""
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run(
            str(self.binaries / "pg_ctl"), action, "--pgdata", str(self.data), "--wait", *options
        )

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.as_owner, *command],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}\n{self.log()[-4000:]}"
            )


def _settings(port: int) -> str:
    return "\n".join(
        [
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            # No Unix socket: its path could clash or be too long; TCP is what the app uses.
            "unix_socket_directories = ''",
            # A throwaway cluster need not survive the machine crashing. Commits
            # stay synchronous: a committed booking must outlive the restart.
            "fsync = off",
            "full_page_writes = off",
            "shared_buffers = 32MB",
            "max_connections = 100",
            "",
        ]
    )


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Create and start a PostgreSQL cluster of this test's own; stop and delete it afterwards."""
    binaries = require_server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="diskret-pg-"))
    try:
        cluster = Cluster(binaries, folder, free_port(), _run_as_owner(folder))
        cluster.initialise()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop_if_running()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
