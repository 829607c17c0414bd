"""`diskret serve` bounds argon2 over all its workers through a folder of its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.processes import (
    ROOT,
    diskret,
    free_port,
    served_on_sqlite,
    stop,
    wait_until_up,
)


def test_the_shared_password_slots_are_private_to_the_server_and_gone_after_it(
    tmp_path: Path,
) -> None:
    """While serving, one folder only its user can enter; once stopped, nothing left behind."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    port = free_port()
    environment = served_on_sqlite(tmp_path, TMPDIR=str(scratch))
    command = diskret(
        "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--single-process-sqlite"
    )
    with (tmp_path / "stderr.log").open("w+b") as stderr:
        child = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}", child, stderr)
            while_serving = {
                path.name[:15]: path.stat().st_mode & 0o777 for path in scratch.iterdir()
            }
        finally:
            child.terminate()
            stop(child)

    assert while_serving == {"diskret-argon2-": 0o700}
    assert list(scratch.iterdir()) == []
