"""`diskret serve` bounds argon2 over all its workers through a folder of its own."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import serving_on_sqlite


def test_the_shared_password_slots_are_private_to_the_server_and_gone_after_it(
    tmp_path: Path,
) -> None:
    """While serving, one folder only its user can enter; once stopped, nothing left behind."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with (
        (tmp_path / "stderr.log").open("w+b") as stderr,
        serving_on_sqlite(tmp_path, stderr, TMPDIR=str(scratch)),
    ):
        while_serving = {path.name[:15]: path.stat().st_mode & 0o777 for path in scratch.iterdir()}

    assert while_serving == {"diskret-argon2-": 0o700}
    assert list(scratch.iterdir()) == []
