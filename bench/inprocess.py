"""The app's own CPU per request, without an HTTP server: Flask's test client in one process.

    .venv-test/bin/python bench/inprocess.py [book verify me] [--requests 1500]
        [--admin-url postgresql://postgres@127.0.0.1:5432/test]

On a scratch database seeded as `bench/ratio.py` seeds it, the app books a
new course (`POST /api/v1/courses`, homes in turn), checks a code (`POST
/api/v1/tokens/verify` with a key bound to 101) and reads a course (`GET
/api/v1/me`), each --requests times after 200 to warm up, in seven batches;
it prints the least CPU per request of a batch (the process's CPU time, so
the time waited for PostgreSQL is left out). Rate limits count in memory.

It measures a change more finely than bench/ratio.py on a machine whose
speed drifts: run it in two checkouts at once, each pinned to a core of its
own, then swapped, so both see the same hour (docs/performance.md):

    taskset -c 0 .venv-test/bin/python bench/inprocess.py &
    (cd ../before && taskset -c 1 .venv-test/bin/python bench/inprocess.py); wait
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Callable

from booking import booking_body, seed
from harness import ADMIN_URL, settings
from ratio import HOME, verify_key

import crypto
from tests.support.seeding import scratch_database

BATCHES = 7
WARM_UP = 200
CODES = 200
RUNS = ("book", "verify", "me")


def _cpu_per_request(request: Callable[[int], object], count: int) -> float:
    """Return the least CPU milliseconds per request over BATCHES batches of ``count``."""
    for number in range(WARM_UP):
        request(number)
    batches = []
    for _ in range(BATCHES):
        started = time.process_time()
        for number in range(count):
            request(number)
        batches.append((time.process_time() - started) / count * 1000)
    return min(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="any of book, verify and me (default: all)")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--admin-url", default=ADMIN_URL)
    args = parser.parse_args()
    runs = args.runs or list(RUNS)
    if not set(runs) <= set(RUNS):
        parser.error(f"each run is one of {', '.join(RUNS)}")
    per_batch = max(1, args.requests // BATCHES)
    with scratch_database(args.admin_url, prefix="diskret_bench") as url:
        centre, slots, homes = seed(url, WARM_UP + per_batch * BATCHES + CODES + 100, "all")
        token_key = crypto.Keyring.generate_config()
        environment = settings(url, token_key)
        environment.pop("DISKRET_REDIS_URL")
        os.environ.update(environment)
        key = verify_key(url, crypto.Keyring.parse(token_key))
        # Imported once the environment is set: the app reads it when made.
        from service import create_app  # noqa: PLC0415

        # The request log is written, as in production, but to nowhere.
        quiet = open(os.devnull, "w")  # noqa: SIM115 - the log handler keeps writing to it
        with contextlib.redirect_stderr(quiet):
            client = create_app().test_client()
        free = iter(slots)

        def book(number: int, home: str | None = None) -> str:
            home = home or homes[number % len(homes)]
            answer = client.post("/api/v1/courses", json=booking_body(centre, next(free), home))
            if answer.status_code != 201:
                raise SystemExit(f"booking answered {answer.status_code}")
            token: str = answer.get_json()["token"]
            return token

        codes = [book(0, HOME) for _ in range(CODES)]
        checked = {"Authorization": f"Bearer {key}"}

        def verify(number: int) -> None:
            sent = {"token": codes[number % CODES]}
            answer = client.post("/api/v1/tokens/verify", json=sent, headers=checked)
            if answer.status_code != 200 or not answer.get_json()["valid"]:
                raise SystemExit(f"verification answered {answer.status_code}")

        def me(number: int) -> None:
            code = codes[number % CODES]
            answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {code}"})
            if answer.status_code != 200:
                raise SystemExit(f"GET /me answered {answer.status_code}")

        requests: dict[str, Callable[[int], object]] = {"book": book, "verify": verify, "me": me}
        for name in runs:
            figure = _cpu_per_request(requests[name], per_batch)
            print(f"{name:<7} {figure:6.3f} ms CPU per request, least of {BATCHES} x {per_batch}")


if __name__ == "__main__":
    main()
