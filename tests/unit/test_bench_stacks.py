"""bench/stacks.py: a function's share of request time, from py-spy's collapsed stacks."""

from __future__ import annotations

from pathlib import Path

from tests.support.scripts import load_script

stacks = load_script("bench/stacks.py", "bench_stacks")


def test_a_function_counts_once_a_sample_and_only_requests_count(tmp_path: Path) -> None:
    """Lines differ within a function, recursion repeats it: each sample counts it once."""
    raw = tmp_path / "stacks.txt"
    raw.write_text(
        "run (t.py:1);handle_request (g.py:5);view (v.py:10);view (v.py:12);find (k.py:3) 3\n"
        "run (t.py:1);handle_request (g.py:5);view (v.py:11) 1\n"
        # gunicorn's own loop, outside any request: left out.
        "run (t.py:1);loop (g.py:9) 6\n",
        encoding="utf-8",
    )
    shares, total = stacks.inclusive(raw)

    assert total == 4
    assert shares["view (v.py)"] == 4
    assert shares["find (k.py)"] == 3
    assert "loop (g.py)" not in shares
    assert stacks.top(raw, 2, under="k.py") == [("find (k.py)", 75.0)]
