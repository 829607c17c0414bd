"""Booking throughput of the whole service next to PostgreSQL's own rate for the same work.

    .venv/bin/python bench/booking.py [--admin-url postgresql://postgres@127.0.0.1:5432/test]
        [--clients 8 32 128] [--seconds 15] [--workers 2] [--threads 4]

Makes a scratch database with one centre and many free intro slots, serves
the app with `diskret serve` (gunicorn), and drives POST /api/v1/courses
(a new course and its intro booking, every rule included) with wrk from
loopback, each request booking a different slot. Then runs the same
transaction as SQL under pgbench at 32 clients, and prints bookings per
second, p50 and p99 for each, and the ratio. Needs wrk and pgbench.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import crypto
from service import migrate
from service.booking.directory import load_municipalities
from service.db import make_engine
from service.models import Centre, Contract, Slot, SlotKind

ROOT = Path(__file__).resolve().parents[1]
LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local threads, counter = 0, 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function init(args)
  counter = offset
  step = %(threads)d
end
function request()
  counter = counter + step
  local id = ids[(counter %% #ids) + 1]
  local body = '{"home_municipality":"101","centre_id":"%(centre)s",'
    .. '"intro_slot_id":"' .. id .. '","confirm_adult":true}'
  return wrk.format("POST", "/api/v1/courses", {["Content-Type"] = "application/json"}, body)
end
"""
PGBENCH = """
BEGIN;
SELECT s.id AS slot FROM slots s JOIN bench_slots b ON b.id = s.id
  WHERE b.n = (SELECT nextval('bench_seq')) FOR UPDATE OF s \\gset
SELECT count(*) AS held FROM bookings
  WHERE slot_id = :slot AND status IN ('booked', 'attended', 'no_show') \\gset
SELECT count(*) AS contracted FROM contracts
  WHERE municipality_code = '101' AND centre_id = :centre \\gset
INSERT INTO courses (id, reference, token_digest, token_key_version, centre_id,
  home_municipality, language, status, requested_at)
  VALUES (gen_random_uuid(), substr(md5(random()::text), 1, 9),
  decode(md5(random()::text) || md5(random()::text), 'hex'), 1, :centre, '101', 'da',
  'requested', now()) RETURNING id AS course \\gset
INSERT INTO bookings (id, course_id, kind, slot_id, status, created_at)
  VALUES (gen_random_uuid(), :course, 'intro', :slot, 'booked', now());
INSERT INTO tallies (month, home_municipality, centre_id, metric, count)
  VALUES (to_char(now(), 'YYYY-MM'), '101', :centre, 'requested', 1)
  ON CONFLICT (month, home_municipality, centre_id, metric)
  DO UPDATE SET count = tallies.count + 1;
COMMIT;
"""


def _database(admin_url: str) -> str:
    name = f"diskret_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop(admin_url: str, url: str) -> None:
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _seed(url: str, slots: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        load_municipalities(session)
        centre = Centre(
            municipality_code="101",
            name="Bench",
            address="Benchvej 1",
            entrance="Porten",
            opening_hours="9-17",
            languages="da",
            created_at=now,
        )
        session.add(centre)
        session.flush()
        session.add(
            Contract(municipality_code="101", centre_id=centre.id, valid_from=date(2020, 1, 1))
        )
        ids = [uuid.uuid4() for _ in range(slots)]
        start = now + timedelta(days=1)
        session.execute(
            insert(Slot),
            [
                {
                    "id": slot,
                    "centre_id": centre.id,
                    "kind": SlotKind.INTRO,
                    "starts_at": start + timedelta(minutes=15 * n),
                    "ends_at": start + timedelta(minutes=15 * n + 10),
                    "created_at": now,
                }
                for n, slot in enumerate(ids)
            ],
        )
        session.commit()
        centre_id = centre.id
    engine.dispose()
    return centre_id, ids


def _serve(url: str, workers: int, threads: int, port: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "DISKRET_DATABASE_URL": url,
        "DISKRET_SECRET_KEY": "bench-only-secret-key",
        "DISKRET_TOKEN_KEY": crypto.Keyring.generate_config(),
        "DISKRET_RATELIMIT_DEFAULT": "100000000 per minute",
        "DISKRET_RATELIMIT_COURSE_CREATE": "100000000 per minute",
    }
    diskret = Path(sys.executable).with_name("diskret")
    child = subprocess.Popen(
        [
            str(diskret),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return child
        except httpx.HTTPError:
            time.sleep(0.2)
    child.kill()
    raise SystemExit("the server did not start")


def _milliseconds(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(port: int, clients: int, seconds: int, script: Path) -> dict[str, float]:
    threads = min(clients, 4)
    output = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(clients),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _pgbench(
    url: str, centre: uuid.UUID, *, clients: int, seconds: int, folder: Path
) -> dict[str, float]:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM bookings"))
        connection.execute(text("DELETE FROM courses"))
        connection.execute(
            text("CREATE TABLE bench_slots (n bigint PRIMARY KEY, id uuid NOT NULL)")
        )
        connection.execute(
            text("INSERT INTO bench_slots SELECT row_number() OVER (), id FROM slots")
        )
        connection.execute(text("CREATE SEQUENCE bench_seq"))
    engine.dispose()
    script = folder / "booking.sql"
    script.write_text(PGBENCH, encoding="utf-8")
    parsed = make_url(url)
    finished = subprocess.run(
        [
            "pgbench",
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            str(min(clients, 4)),
            "-T",
            str(seconds),
            "-r",
            "-D",
            f"centre={centre}",
            "-f",
            str(script),
            "-h",
            parsed.host or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            "-l",
            "--log-prefix",
            str(folder / "pgbench"),
            parsed.database or "",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise SystemExit("pgbench failed:\n" + finished.stderr[-2000:])
    output = finished.stdout
    rate = float(re.search(r"tps = ([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latencies = sorted(
        int(line.split()[2]) / 1000
        for log in folder.glob("pgbench*")
        for line in log.read_text().splitlines()
    )
    return {
        "rate": rate,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "non_2xx": 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--slots", type=int, default=100000)
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"{tool} is needed (Debian: apt-get install {tool} / postgresql-client)"
            )

    url = _database(args.admin_url)
    folder = Path(tempfile.mkdtemp(prefix="diskret-bench-"))
    results: dict[str, dict[str, float]] = {}
    try:
        centre, ids = _seed(url, args.slots)
        port = 18000 + os.getpid() % 1000
        server = _serve(url, args.workers, args.threads, port)
        try:
            for run, clients in enumerate(args.clients):
                # Each run books its own slots: a slot booked in one run stays booked.
                mine = folder / f"slots-{run}.txt"
                mine.write_text("\n".join(map(str, ids[run :: len(args.clients)])) + "\n")
                script = folder / f"wrk-{clients}.lua"
                values = {"ids": mine, "threads": min(clients, 4), "centre": centre}
                script.write_text(LUA % values, encoding="utf-8")
                results[f"service, {clients} clients"] = _wrk(port, clients, args.seconds, script)
        finally:
            server.terminate()
            server.wait(timeout=30)
        results["pgbench, 32 clients"] = _pgbench(
            url, centre, clients=32, seconds=args.seconds, folder=folder
        )
    finally:
        _drop(args.admin_url, url)
        shutil.rmtree(folder, ignore_errors=True)

    print(f"{'run':<24} {'bookings/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, row in results.items():
        figures = f"{row['rate']:>11.1f} {row['p50']:>8.1f} {row['p99']:>8.1f}"
        print(f"{name:<24} {figures} {row['non_2xx']:>8.0f}")
    service = results.get("service, 32 clients")
    if service:
        ratio = service["rate"] / results["pgbench, 32 clients"]["rate"]
        print(f"ratio of the service to pgbench at 32 clients: {ratio:.3f}")
    print(json.dumps({"workers": args.workers, "threads": args.threads, "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
