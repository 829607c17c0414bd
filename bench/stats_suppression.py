"""How long the national suppression pattern of one metric and year takes to compute.

    .venv-test/bin/python bench/stats_suppression.py [--centres 24] [--share 0.5] [--seed 7]

Builds a year of made-up monthly counts for the 98 municipalities, each using
three of the centres, and prints the time to decide all twelve months, the
cells hidden and how many of them are small counts shown as "x".
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from service.stats import suppression

COUNTS = [1, 1, 2, 3, 4, 5, 6, 8, 12, 20]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--centres", type=int, default=24)
    parser.add_argument("--share", type=float, default=0.5, help="leaves that are not zero")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    homes = [f"{code:03d}" for code in range(101, 199)]
    located = {f"centre-{n}": rng.choice(homes) for n in range(args.centres)}
    months = [f"2031-{month:02d}" for month in range(1, 13)]
    leaves = {
        (home, centre, month): rng.choice(COUNTS)
        for home in homes
        for centre in rng.sample(sorted(located), 3)
        for month in months
        if rng.random() < args.share
    }

    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pattern = suppression.suppress(leaves, located=located, months=months)
        timings.append(time.perf_counter() - started)

    small = sum(1 for value in pattern.values.values() if 0 < value < suppression.THRESHOLD)
    print(f"leaves (non-zero)       {len(leaves)}")
    print(f"published cells         {len(pattern.values)}")
    print(f"hidden                  {len(pattern.hidden)} ({small} of them counts of 1-4)")
    print(f"small shown as x        {len(pattern.widened)}")
    print(f"without certificate     {len(pattern.unproven)}")
    print(f"seconds, median of {args.runs}    {statistics.median(timings):.3f}")


if __name__ == "__main__":
    main()
