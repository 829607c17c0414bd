"""Comments stay short: an explanation that needs a paragraph is a docstring."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A why-comment fits in five lines; a sixth means a paragraph.
LONGEST = 5
SKIPPED: tuple[str, ...] = ()


def _comment_blocks(path: Path) -> list[tuple[int, int]]:
    """Return the first line and length of each run of comment lines that stand alone."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    alone = sorted(
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and lines[token.start[0] - 1].lstrip().startswith("#")
    )
    blocks: list[tuple[int, int]] = []
    for number in alone:
        if blocks and blocks[-1][0] + blocks[-1][1] == number:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + 1)
        else:
            blocks.append((number, 1))
    return blocks


def test_no_comment_in_service_or_crypto_runs_longer_than_a_why() -> None:
    """Every run of comment lines in service/ and crypto/ is at most five lines long."""
    scanned = [
        path
        for folder in ("service", "crypto")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(SKIPPED)
    ]

    long = [
        f"{path.relative_to(ROOT)}:{first} ({count} lines)"
        for path in scanned
        for first, count in _comment_blocks(path)
        if count > LONGEST
    ]

    assert long == []
    assert len(scanned) > 50
