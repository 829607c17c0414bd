"""Where a worker's request time goes, from a py-spy raw profile.

    .venv-test/bin/python bench/stacks.py stacks/booking.txt [--top 25] [--under service/]

Reads the collapsed stacks `py-spy record --format raw` writes (as
bench/ratio.py --profile and bench/booking.py --profile record them), keeps
the samples of threads serving a request (their stack holds gunicorn's
handle_request), and prints each function's inclusive share of them: the
share of samples in which it, or something it called, was running. A
function that recurses counts once a sample. --under keeps the functions
whose file path contains that text (e.g. service/ for the service's own).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# "name (path/to/file.py:123)": the line number varies within one function.
_LINE = re.compile(r":\d+\)$")


def request_samples(stacks: Path) -> list[tuple[str, int]]:
    """Return each stack of a thread serving a request (under gunicorn) with its sample count."""
    samples = []
    for line in stacks.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        # Only the threads that serve requests; not gunicorn's own loop.
        if "handle_request" in stack:
            samples.append((stack, int(count)))
    return samples


def inclusive(stacks: Path) -> tuple[Counter[str], int]:
    """Return the samples each function was on the stack in, and the samples counted."""
    shares: Counter[str] = Counter()
    total = 0
    for stack, samples in request_samples(stacks):
        total += samples
        for frame in {_LINE.sub(")", frame) for frame in stack.split(";")}:
            shares[frame] += samples
    return shares, total


def top(stacks: Path, count: int, under: str = "") -> list[tuple[str, float]]:
    """Return the ``count`` functions with the largest inclusive shares, in per cent."""
    shares, total = inclusive(stacks)
    chosen = [(frame, n) for frame, n in shares.most_common() if under in frame]
    return [(frame, 100 * n / max(total, 1)) for frame, n in chosen[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--under", default="", help="only functions whose file path has this")
    args = parser.parse_args()
    for frame, share in top(args.stacks, args.top, args.under):
        print(f"{share:6.1f} %  {frame}")


if __name__ == "__main__":
    main()
