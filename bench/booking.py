"""Booking throughput of the whole service next to PostgreSQL's own rate for the same work.

    .venv-test/bin/python bench/booking.py [--admin-url postgresql://postgres@127.0.0.1:5432/test]
        [--clients 8 32 128] [--seconds 15] [--workers 2] [--threads 2]
        [--redis-url redis://127.0.0.1:6379/14] [--profile stacks.txt] [--homes one|all]

Makes a scratch database with one centre and many free intro slots, serves
the app with `diskret serve` (gunicorn), and drives POST /api/v1/courses
(a new course and its intro booking, every rule included) with wrk from
loopback, each request booking a different slot. Then runs the same
transaction as SQL under pgbench at 32 clients, twice: once with each rule
and write a statement of its own, once as the service sends it on
PostgreSQL (the locking read, one statement for the rules, the course and
its booking, then the count). Prints bookings per second, p50 and p99
for each, and the ratio of the service to each. Needs wrk and pgbench.

First it books one slot in-process and prints the statements that booking
sent. With --redis-url the rate limits count in Redis, as in production
(compose.yaml), instead of in each process's memory. With --profile, py-spy
samples one worker during the 32-client run (the thread holding the GIL:
where the Python CPU goes), writes the stacks to the file and prints the
share of the main costs. Last, how many garbage collections each worker ran
and the longest pause of each generation (a collection holds the GIL).

Every booking comes from one home municipality (101) by default, so each
one adds to the same row of the statistics' tally, and a booking waits for
the one before it to commit; with --homes all they come from all 98 in
turn, each contracting the centre, as real bookings spread. The service and
pgbench run the same shape.

Each run also prints how many of wrk's connections each worker held (a
worker serves every request of a connection it accepted, so the split
decides how long each queue is), the time its bookings spent in the app
by the request log (wrk's latency less the wait for a thread), and any
answer other than 201 Created by status, with the server's log lines about
errors and refusals.
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
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import (
    ADMIN_URL,
    backends,
    children,
    cpu_per_request,
    cpu_seconds,
    free_port,
    gc_watched,
    percentile,
    start_serving,
)
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from stacks import request_samples

import crypto
from service import create_app, migrate
from service.booking.directory import load_municipalities
from service.db import engine_of, make_engine
from service.models import Municipality
from tests.support.seeding import add_intro_slots, scratch_database
from tests.support.world import add_centre, add_contract

ROOT = Path(__file__).resolve().parents[1]
# wrk's status count, for every script: each thread counts the statuses it
# got, and `done` prints them all ("answered 201 12345"). A script may
# define on_setup(thread) and on_init(args) for its own state.
LUA_COUNTING = """
local counted = {}
function setup(thread)
  counted[#counted + 1] = thread
  if on_setup then on_setup(thread) end
end
function init(args)
  answered = {}
  if on_init then on_init(args) end
end
function response(status, headers, body)
  answered[status] = (answered[status] or 0) + 1
end
function done(summary, latency, requests)
  for _, thread in ipairs(counted) do
    for status, count in pairs(thread:get("answered")) do
      io.write(string.format("answered %d %d\\n", status, count))
    end
  end
end
"""
# The booking: each thread takes every n-th slot from its own offset.
LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local threads = 0
function on_setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function on_init(args)
  counter = offset
  homes = {%(homes)s}
  step = %(threads)d
end
function request()
  counter = counter + step
  local id = ids[(counter %% #ids) + 1]
  local home = homes[(counter %% #homes) + 1]
  local body = '{"home_municipality":"' .. home .. '","centre_id":"%(centre)s",'
    .. '"intro_slot_id":"' .. id .. '","confirm_adult":true}'
  return wrk.format("POST", "/api/v1/courses", {["Content-Type"] = "application/json"}, body)
end
"""
# The same work under pgbench: each rule and write a statement of its own, and
# as the service sends it on PostgreSQL. The home municipality is drawn from
# those of the run, read in the locking read (the service has it from the
# request) and from there on a parameter, as the service sends it.
PGBENCH_APART = """
\\set m random(1, :homes)
BEGIN;
SELECT s.id AS slot, (SELECT code FROM bench_homes WHERE n = :m) AS home
  FROM slots s JOIN bench_slots b ON b.id = s.id
  WHERE b.n = (SELECT nextval('bench_seq')) FOR UPDATE OF s \\gset
SELECT count(*) AS held FROM bookings
  WHERE slot_id = :slot AND status IN ('booked', 'attended', 'no_show') \\gset
SELECT count(*) AS contracted FROM contracts
  WHERE municipality_code = :home AND centre_id = :centre \\gset
INSERT INTO courses (id, reference, token_digest, token_key_version, centre_id,
  home_municipality, language, status, requested_at)
  VALUES (gen_random_uuid(), substr(md5(random()::text), 1, 9),
  decode(md5(random()::text) || md5(random()::text), 'hex'), 1, :centre, :home, 'da',
  'requested', now()) RETURNING id AS course \\gset
INSERT INTO bookings (id, course_id, kind, slot_id, status, created_at)
  VALUES (gen_random_uuid(), :course, 'intro', :slot, 'booked', now());
INSERT INTO tallies (month, home_municipality, centre_id, metric, count)
  VALUES (to_char(now(), 'YYYY-MM'), :home, :centre, 'requested', 1)
  ON CONFLICT (month, home_municipality, centre_id, metric)
  DO UPDATE SET count = tallies.count + 1;
COMMIT;
"""
PGBENCH_AS_SENT = """
\\set m random(1, :homes)
BEGIN;
SELECT s.id AS slot, s.starts_at AS starts, (SELECT code FROM bench_homes WHERE n = :m) AS home
  FROM slots s JOIN bench_slots b ON b.id = s.id
  WHERE b.n = (SELECT nextval('bench_seq')) FOR UPDATE OF s \\gset
WITH new_course AS (
  INSERT INTO courses (id, reference, token_digest, token_key_version, centre_id,
    home_municipality, language, status, requested_at)
  SELECT gen_random_uuid(), substr(md5(random()::text), 1, 9),
    decode(md5(random()::text) || md5(random()::text), 'hex'), 1, :centre::uuid,
    :home::varchar, 'da', 'requested', now()
  WHERE EXISTS (SELECT FROM municipalities WHERE code = :home)
    AND NOT EXISTS (SELECT FROM bookings WHERE slot_id = :slot::uuid
      AND status IN ('booked', 'attended', 'no_show'))
    AND EXISTS (SELECT FROM contracts WHERE municipality_code = :home
      AND centre_id = :centre::uuid AND valid_from <= current_date
      AND (valid_to IS NULL OR valid_to >= current_date))
    AND EXISTS (SELECT FROM contracts WHERE municipality_code = :home
      AND centre_id = :centre::uuid AND valid_from <= :starts::date
      AND (valid_to IS NULL OR valid_to >= :starts::date))
  ON CONFLICT (reference) DO NOTHING
  RETURNING id
)
INSERT INTO bookings (id, course_id, kind, slot_id, status, created_at)
  SELECT gen_random_uuid(), id, 'intro', :slot::uuid, 'booked', now() FROM new_course;
INSERT INTO tallies (month, home_municipality, centre_id, metric, count)
  VALUES (to_char(now(), 'YYYY-MM'), :home, :centre, 'requested', 1)
  ON CONFLICT (month, home_municipality, centre_id, metric)
  DO UPDATE SET count = tallies.count + 1;
COMMIT;
"""
PGBENCH = {"pgbench, apart": PGBENCH_APART, "pgbench, as sent": PGBENCH_AS_SENT}


# Where a booking's Python time goes, as frames to look for in py-spy's stacks;
# a sample counts for a row when any of its frames holds one of the strings.
COSTS = (
    (
        "the rules of a new course (pathway.create_course)",
        ("create_course (service/booking/pathway",),
    ),
    ("executing statements (SQLAlchemy, psycopg)", ("Session.execute (", "Session.scalar (")),
    ("COMMIT", ("Session.commit (",)),
    ("connection checkout and pre-ping", ("_ConnectionFairy._checkout (",)),
    ("finding the API key (keys.find)", ("find (service/identity/keys.py",)),
    ("finding the code's course (course_for_token)", ("course_for_token (service/booking",)),
    ("rate limit checks (flask-limiter)", ("flask_limiter/_extension.py",)),
    ("reading the request (webargs, marshmallow)", ("Parser.parse (webargs",)),
    ("shaping the answer (payload, marshmallow, JSON)", ("course_payload (", "Schema.dump (")),
    ("security headers and request log", ("_finish (service/web_safety",)),
    ("HTTP parsing and writing (gunicorn)", ("gunicorn/http/",)),
)


def seed(url: str, slots: int, homes: str) -> tuple[uuid.UUID, list[uuid.UUID], list[str]]:
    """Make the centre, its free intro slots and its contracts; return them with the homes."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        load_municipalities(session)
        codes = ["101"] if homes == "one" else list(session.scalars(select(Municipality.code)))
        centre = add_centre(session, "101", "Bench", now)
        for code in codes:
            add_contract(session, code, centre, valid_from=date(2020, 1, 1))
        ids = add_intro_slots(session, centre.id, slots, first=now + timedelta(days=1), now=now)
        session.commit()
        centre_id = centre.id
    engine.dispose()
    return centre_id, ids, codes


def booking_body(centre: uuid.UUID, slot: uuid.UUID, home: str = "101") -> dict[str, object]:
    """Return the body of POST /api/v1/courses booking ``slot`` from ``home``."""
    return {
        "home_municipality": home,
        "centre_id": str(centre),
        "intro_slot_id": str(slot),
        "confirm_adult": True,
    }


def _statements(url: str, centre: uuid.UUID, slot: uuid.UUID) -> list[str]:
    """Book one slot in-process and return the SQL it sent, BEGIN and COMMIT left out."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-only-secret-key-not-for-production",
            "TOKEN_KEY": crypto.Keyring.generate_config(),
            "RATELIMIT_ENABLED": False,
            # No request log on the console in the middle of the figures.
            "TESTING": True,
        }
    )
    engine = engine_of(app)
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.split(maxsplit=1)[0].upper() not in {"BEGIN", "COMMIT"}:
            sent.append(" ".join(statement.split()))

    answer = app.test_client().post("/api/v1/courses", json=booking_body(centre, slot))
    engine.dispose()
    if answer.status_code != 201:
        raise SystemExit(f"the booking was refused: {answer.get_data(as_text=True)}")
    return sent


def _serve(
    url: str,
    *,
    workers: int,
    threads: int,
    port: int,
    redis_url: str | None,
    watch: dict[str, str],
    log: Path,
) -> subprocess.Popen[bytes]:
    environment = {
        **watch,
        "DISKRET_DATABASE_URL": url,
        "DISKRET_SECRET_KEY": "bench-only-secret-key-not-for-production",
        "DISKRET_TOKEN_KEY": crypto.Keyring.generate_config(),
        "DISKRET_RATELIMIT_DEFAULT": "100000000 per minute",
        "DISKRET_RATELIMIT_COURSE_CREATE": "100000000 per minute",
    }
    if redis_url:
        environment["DISKRET_REDIS_URL"] = redis_url
    with log.open("ab") as errors:
        child = start_serving(
            port, workers=workers, threads=threads, environment=environment, errors=errors
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
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(port: int, clients: int, seconds: int, script: Path, expect: int = 201) -> dict[str, float]:
    """Run wrk with a script that counts statuses; every figure, and each other status's count."""
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
    # Anchored to the start of a line: a "+/- Stdev" column such as "72.99%"
    # must not be read as the 99th percentile.
    p50 = _milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    requests = re.search(r"(\d+) requests in", output)
    answered = {
        int(status): int(count)
        for status, count in re.findall(r"^answered (\d+) (\d+)$", output, re.M)
    }
    if expect not in answered:
        # wrk runs its default GET when the script fails to load, and says so only on stderr.
        raise SystemExit(f"wrk had no answer {expect}:\n{output}")
    return {
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "requests": float(requests.group(1)) if requests else 0.0,
        # Each status other than the one expected, as "status 409": how many.
        **{
            f"status {status}": float(count)
            for status, count in answered.items()
            if status != expect
        },
    }


def profile(worker: int, seconds: int, output: Path) -> subprocess.Popen[bytes]:
    """Start py-spy sampling ``worker`` (the thread holding the GIL) into ``output``."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(worker),
            "--duration",
            str(seconds),
            "--rate",
            "100",
            "--gil",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _connections(workers: list[int], port: int) -> list[int]:
    """Return how many client connections to ``port`` each worker holds, most first.

    wrk keeps its connections open, and a gunicorn worker serves every request
    of a connection it accepted: a worker that took more of them queues more.
    """
    held = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            # local address, remote address, state (01: established), ..., inode
            if fields[1].endswith(f":{port:04X}") and fields[3] == "01":
                held.add(fields[9])
    counts = []
    for worker in workers:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{worker}/fd").iterdir()]
        except OSError:
            continue
        counts.append(sum(link.removeprefix("socket:[").rstrip("]") in held for link in links))
    return sorted(counts, reverse=True)


def _count_connections(into: list[int], server: int, port: int) -> None:
    into.extend(_connections(children(server), port))


def wrk_script(
    stem: Path, slots: list[uuid.UUID], clients: int, *, centre: uuid.UUID, homes: list[str]
) -> Path:
    """Write wrk's script for one run: each request a slot of these, from these homes in turn."""
    stem.with_suffix(".txt").write_text("\n".join(map(str, slots)) + "\n")
    values = {
        "ids": stem.with_suffix(".txt"),
        "threads": min(clients, 4),
        "centre": centre,
        "homes": ", ".join(f'"{home}"' for home in homes),
    }
    script = stem.with_suffix(".lua")
    script.write_text(LUA % values + LUA_COUNTING, encoding="utf-8")
    return script


def shares(stacks: Path) -> list[tuple[str, float]]:
    """Return each part of COSTS with its share, in per cent, of the request samples."""
    samples = request_samples(stacks)
    total = sum(count for _, count in samples) or 1
    return [
        (name, 100 * sum(n for stack, n in samples if any(f in stack for f in frames)) / total)
        for name, frames in COSTS
    ]


def pgbench(
    url: str, centre: uuid.UUID, homes: list[str], *, clients: int, seconds: int, folder: Path
) -> dict[str, dict[str, float]]:
    """Run each pgbench script from every slot free again; return its figures by name."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE bench_slots (n bigint PRIMARY KEY, id uuid NOT NULL)")
        )
        connection.execute(
            text("INSERT INTO bench_slots SELECT row_number() OVER (), id FROM slots")
        )
        connection.execute(text("CREATE SEQUENCE bench_seq"))
        connection.execute(text("CREATE TABLE bench_homes (n int PRIMARY KEY, code text NOT NULL)"))
        connection.execute(
            text("INSERT INTO bench_homes (n, code) VALUES (:n, :code)"),
            [{"n": n, "code": code} for n, code in enumerate(homes, start=1)],
        )
    variables = {"centre": centre, "homes": len(homes)}
    results = {}
    for number, (name, sql) in enumerate(PGBENCH.items()):
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM bookings"))
            connection.execute(text("DELETE FROM courses"))
            connection.execute(text("ALTER SEQUENCE bench_seq RESTART"))
        script = folder / f"booking-{number}.sql"
        script.write_text(sql, encoding="utf-8")
        logs = folder / f"pgbench-{number}"
        results[f"{name}, {clients} clients"] = _pgbench_run(
            url, variables, script, clients=clients, seconds=seconds, logs=logs
        )
    engine.dispose()
    return results


def _pgbench_run(
    url: str, variables: dict[str, object], script: Path, *, clients: int, seconds: int, logs: Path
) -> dict[str, float]:
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
            *(f"--define={name}={value}" for name, value in variables.items()),
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
            str(logs),
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
    latencies = [
        int(line.split()[2]) / 1000
        for log in logs.parent.glob(logs.name + ".*")
        for line in log.read_text().splitlines()
    ]
    return {
        "rate": rate,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "non_2xx": 0.0,
    }


def _drive(
    args: argparse.Namespace,
    url: str,
    centre: uuid.UUID,
    ids: list[uuid.UUID],
    folder: Path,
    *,
    homes: list[str],
    watch: dict[str, str],
) -> dict[str, dict[str, float]]:
    """Serve the app and run wrk: a warm-up, then each number of clients."""
    results: dict[str, dict[str, float]] = {}
    port = free_port()
    server = _serve(
        url,
        workers=args.workers,
        threads=args.threads,
        port=port,
        redis_url=args.redis_url,
        watch=watch,
        log=folder / "server.log",
    )
    runs = [(8, args.warm_up), *((clients, args.seconds) for clients in args.clients)]
    database = make_url(url).database or ""

    def processes() -> tuple[list[int], list[int]]:
        return [server.pid, *children(server.pid)], backends(database)

    try:
        for run, (clients, seconds) in enumerate(runs):
            # Each run books its own slots: a slot booked in one run stays booked.
            script = wrk_script(
                folder / f"wrk-{run}", ids[run :: len(runs)], clients, centre=centre, homes=homes
            )
            spy = None
            if args.profile and run > 0 and clients == 32:
                spy = profile(min(children(server.pid)), seconds, args.profile)
            app, db = processes()
            app_before, db_before = cpu_seconds(app), cpu_seconds(db)
            # Sampled once wrk has opened its connections; they stay open.
            split: list[int] = []
            sample = threading.Timer(
                min(2, seconds / 2), _count_connections, args=(split, server.pid, port)
            )
            sample.start()
            started = time.time()
            figures = wrk(port, clients, seconds, script)
            figures.update({"from": started, "to": time.time()})
            sample.join()
            figures.update({f"connections {n}": float(held) for n, held in enumerate(split)})
            app, db = processes()
            figures["app_ms"] = cpu_per_request(app_before, cpu_seconds(app), figures["requests"])
            figures["db_ms"] = cpu_per_request(db_before, cpu_seconds(db), figures["requests"])
            if spy is not None:
                spy.wait(timeout=seconds + 30)
            if run > 0:
                results[f"service, {clients} clients"] = figures
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def _records(log: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield each line of the server's JSON log with its record, empty if it is not JSON."""
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = {}
        yield line, record if isinstance(record, dict) else {}


def _time_in_app(log: Path, results: dict[str, dict[str, float]]) -> None:
    """Add each run's p50, p99 and longest time spent in the app, from the request log.

    wrk's latency adds the wait for a thread (32 connections share four) to
    this; a longest time far above the p99 is a moment when every request in
    the app waited at once.
    """
    finished = []
    for _, record in _records(log):
        if record.get("path") == "/api/v1/courses":
            at = datetime.fromisoformat(record["time"]).timestamp()
            finished.append((at, float(record["duration_ms"])))
    for row in results.values():
        times = [ms for at, ms in finished if row["from"] <= at <= row["to"]]
        if times:
            row["app_p50"], row["app_p99"] = percentile(times, 0.5), percentile(times, 0.99)
            row["app_max"] = max(times)


def _troubles(log: Path) -> list[str]:
    """Return the server's log lines about an error or a refusal (none carries personal data)."""
    return [
        line
        for line, record in _records(log)
        if not record
        or record.get("level") in {"WARNING", "ERROR", "CRITICAL"}
        or record.get("status", 0) >= 400
    ]


def _details(row: dict[str, float]) -> list[str]:
    """Return what else a run of the service showed, a line each."""
    lines = []
    split = [f"{count:.0f}" for key, count in row.items() if key.startswith("connections ")]
    if split:
        lines.append(f"client connections held by each worker: {' / '.join(split)}")
    if "app_p99" in row:
        lines.append(
            f"time in the app (request log): p50 {row['app_p50']:.1f} ms,"
            f" p99 {row['app_p99']:.1f} ms, longest {row['app_max']:.1f} ms"
        )
    lines += [
        f"answered {count:.0f} times with {key}"
        for key, count in row.items()
        if key.startswith("status ")
    ]
    return lines


def _report(
    args: argparse.Namespace,
    statements: list[str],
    results: dict[str, dict[str, float]],
    collections: list[str],
    troubles: list[str],
) -> None:
    print(f"one booking sends {len(statements)} statements besides BEGIN and COMMIT:")
    for statement in statements:
        print(f"  {statement[:96]}")
    if args.profile and args.profile.exists():
        print(f"where one worker's Python time goes at 32 clients (py-spy --gil, {args.profile}):")
        for name, share in shares(args.profile):
            print(f"  {share:5.1f} %  {name}")
    print(f"rate limits counted in {f'Redis {args.redis_url}' if args.redis_url else 'memory'}")
    if args.homes == "one":
        print("every booking from one home municipality: each adds to the same tally row")
    else:
        print("bookings from all 98 home municipalities in turn: their tally rows spread")
    print(
        f"{'run':<24} {'bookings/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
        f" {'app CPU ms':>11} {'db CPU ms':>10}"
    )
    for name, row in results.items():
        figures = f"{row['rate']:>11.1f} {row['p50']:>8.1f} {row['p99']:>8.1f}"
        cpu = f" {row['app_ms']:>11.2f} {row['db_ms']:>10.2f}" if "app_ms" in row else ""
        print(f"{name:<24} {figures} {row['non_2xx']:>8.0f}{cpu}")
        for line in _details(row):
            print(f"  {line}")
    if troubles:
        print(f"the server logged {len(troubles)} errors or refusals; the last ten:")
        for line in troubles[-10:]:
            print(f"  {line[:300]}")
    print("(CPU ms: per booking, of the gunicorn processes and of PostgreSQL's backends)")
    print("garbage collections over the whole run, warm-up included (a pause holds the GIL):")
    for line in collections:
        print(f"  {line}")
    service = results.get("service, 32 clients")
    if service:
        for name in PGBENCH:
            ratio = service["rate"] / results[f"{name}, 32 clients"]["rate"]
            print(f"ratio of the service to {name} at 32 clients: {ratio:.3f}")
    print(json.dumps({"workers": args.workers, "threads": args.threads, "cpus": os.cpu_count()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slots", type=int, default=100000)
    parser.add_argument("--warm-up", type=int, default=5, help="seconds at 8 clients, unmeasured")
    parser.add_argument("--redis-url", help="count rate limits in this Redis, as in production")
    parser.add_argument("--profile", type=Path, help="py-spy the 32-client run into this file")
    parser.add_argument(
        "--homes",
        choices=["one", "all"],
        default="one",
        help="book from one home municipality (one tally row for all) or from all 98 in turn",
    )
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"{tool} is needed (Debian: apt-get install {tool} / postgresql-client)"
            )

    with (
        tempfile.TemporaryDirectory(prefix="diskret-bench-") as scratch,
        scratch_database(args.admin_url, prefix="diskret_bench") as url,
    ):
        folder = Path(scratch)
        centre, ids, homes = seed(url, args.slots, args.homes)
        statements = _statements(url, centre, ids.pop())
        with gc_watched() as (watch, collections):
            results = _drive(args, url, centre, ids, folder, homes=homes, watch=watch)
        _time_in_app(folder / "server.log", results)
        results |= pgbench(url, centre, homes, clients=32, seconds=args.seconds, folder=folder)
        troubles = _troubles(folder / "server.log")
    _report(args, statements, results, collections, troubles)


if __name__ == "__main__":
    main()
