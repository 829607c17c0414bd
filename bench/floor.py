"""What a booking costs on this stack before the service's own work.

    .venv-test/bin/python bench/floor.py [--admin-url postgresql://postgres@127.0.0.1:5432/test]
        [--homes one|all] [--seconds 15] [--clients 32] [--server gunicorn|granian]

Serves bench/floor_app.py under gunicorn the way `diskret serve` runs the
service (2 workers x 2 threads, a socket per worker) on a scratch database
seeded as bench/booking.py seeds it, and drives POST /api/v1/courses with
that benchmark's wrk script: first answering a constant body (gunicorn,
Flask and the JSON body alone), then sending the booking's statements
through psycopg as the service sends them on PostgreSQL, without
SQLAlchemy, rules in Python, limits, tokens or a log. Then pgbench runs the
same statements, as bench/booking.py does. Prints requests per second, p50,
p99 and the CPU of the gunicorn processes per request, and the ratio of the
psycopg endpoint to pgbench: the most any service on Flask and psycopg
could reach here. Needs wrk and pgbench. --server granian serves the same
app under granian's WSGI interface instead (2 workers x 2 blocking threads).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from booking import pgbench, seed, wrk, wrk_script
from harness import (
    ADMIN_URL,
    SERVERS,
    backends,
    children,
    cpu_per_request,
    cpu_seconds,
    free_port,
    granian,
    stop,
)
from sqlalchemy.engine import make_url

from tests.support.seeding import scratch_database

BENCH = Path(__file__).resolve().parent
MODES = ("constant", "booking")


def _serve(url: str, mode: str, port: int, server: str) -> subprocess.Popen[bytes]:
    if server == "granian":
        command = granian("floor_app:create", port, workers=2, threads=2)
    else:
        # As `diskret serve` runs: 2 workers x 2 threads, a socket per worker.
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "2"]
        command += ["--reuse-port", "--bind", f"127.0.0.1:{port}", "floor_app:create()"]
    child = subprocess.Popen(
        command,
        cwd=BENCH,
        env={**os.environ, "FLOOR_DATABASE_URL": url, "FLOOR_MODE": mode},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/")
            return child
        except httpx.HTTPError:
            time.sleep(0.2)
    child.kill()
    raise SystemExit(f"{server} did not start")


def run(
    url: str,
    mode: str,
    slots: list[uuid.UUID],
    *,
    centre: uuid.UUID,
    homes: list[str],
    args: argparse.Namespace,
) -> dict[str, float]:
    """Serve the floor app in one mode; warm it up at 8 clients, then measure."""
    port = free_port()
    database = make_url(url).database or ""
    server = _serve(url, mode, port, args.server)
    try:
        with tempfile.TemporaryDirectory(prefix="diskret-floor-") as scratch:
            figures: dict[str, float] = {}
            for run, (clients, seconds) in enumerate(((8, 5), (args.clients, args.seconds))):
                script = wrk_script(
                    Path(scratch) / f"wrk-{run}", slots[run::2], clients, centre=centre, homes=homes
                )
                app, db = [server.pid, *children(server.pid)], backends(database)
                app_before, db_before = cpu_seconds(app), cpu_seconds(db)
                figures = wrk(port, clients, seconds, script)
                requests = figures["requests"]
                figures["app_ms"] = cpu_per_request(app_before, cpu_seconds(app), requests)
                figures["db_ms"] = cpu_per_request(
                    db_before, cpu_seconds(backends(database)), requests
                )
            return figures
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--slots", type=int, default=200000)
    parser.add_argument("--homes", choices=["one", "all"], default="one")
    parser.add_argument("--server", choices=SERVERS, default="gunicorn")
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (Debian: apt-get install wrk postgresql-client)")
    with (
        tempfile.TemporaryDirectory(prefix="diskret-floor-") as scratch,
        scratch_database(args.admin_url, prefix="diskret_bench") as url,
    ):
        centre, ids, homes = seed(url, args.slots, args.homes)
        results = {
            mode: run(url, mode, ids[number::2], centre=centre, homes=homes, args=args)
            for number, mode in enumerate(MODES)
        }
        database = pgbench(
            url, centre, homes, clients=32, seconds=args.seconds, folder=Path(scratch)
        )
    print(f"homes: {args.homes}; {args.server} 2 workers x 2 threads; {args.clients} clients")
    print(
        f"{'run':<32} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
        f" {'app CPU ms':>11} {'db CPU ms':>10}"
    )
    for mode, row in results.items():
        print(
            f"{'Flask, ' + mode:<32} {row['rate']:>9.1f} {row['p50']:>8.1f} {row['p99']:>8.1f}"
            f" {row['non_2xx']:>8.0f} {row['app_ms']:>11.2f} {row['db_ms']:>10.2f}"
        )
    for name, row in database.items():
        print(f"{name:<32} {row['rate']:>9.1f} {row['p50']:>8.1f} {row['p99']:>8.1f}")
    ratio = results["booking"]["rate"] / database["pgbench, as sent, 32 clients"]["rate"]
    print(f"ratio of the psycopg endpoint to pgbench as sent: {ratio:.3f}")


if __name__ == "__main__":
    main()
