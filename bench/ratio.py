"""The service against the stack's own floor, measured in one run.

    .venv-test/bin/python bench/ratio.py [--admin-url postgresql://postgres@127.0.0.1:5432/test]
        [--clients 32] [--seconds 10] [--redis-url redis://127.0.0.1:6379/14]
    .venv-test/bin/python bench/ratio.py --memory 100000
    .venv-test/bin/python bench/ratio.py --profile stacks/
    .venv-test/bin/python bench/ratio.py --server granian

One scratch database seeded as `bench/booking.py --homes all` seeds it (one
centre that all 98 municipalities contract, bookings from each in turn),
then, one after the other, each at --clients wrk connections after 5 s at 8:

1. the floor app (bench/floor_app.py, gunicorn 2 x 2) answering a constant
   body: gunicorn, Flask and a JSON body, nothing else;
2. the floor app sending the booking's statements through psycopg;
3. `diskret serve` (2 x 2) booking: POST /api/v1/courses, every rule;
4. `diskret serve` checking a code: POST /api/v1/tokens/verify with a key;
5. `diskret serve` reading a course: GET /api/v1/me with its code;
6. pgbench running the booking as the service sends it, for context.

Prints each one's rate, p99, answers other than the expected status and app
CPU per request, then the ratios the performance issue sets goals for: the
service's bookings to the floor's (0.6), and each read to the constant
floor (0.5). Rate limits count in each process's memory, as in
bench/booking.py, unless --redis-url points them at Redis. Needs wrk and
pgbench.

With --server granian, the floor app and the service both run under
granian's WSGI interface (2 workers x 2 blocking threads) instead of
gunicorn: the HTTP server measured as a lever. Production serves with
`diskret serve` (gunicorn) whatever this measures.

With --profile DIR, py-spy (--gil) samples one worker through each of the
service's three runs into DIR/<run>.txt, and the report prints, for each
run, the shares of that worker's request time by part, as bench/booking.py
--profile does (bench/stacks.py reads the same files function by function).

With --memory N it measures instead whether a worker grows with work: one
`diskret serve` books 1,000 courses, then on to N, and each worker's
resident size (VmRSS) is read after the first 1,000 and after N; the goal
is no more than 10 % above the first.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from booking import (
    LUA_COUNTING,
    booking_body,
    pgbench,
    profile,
    seed,
    shares,
    wrk,
    wrk_script,
)
from floor import run as floor_run
from harness import (
    ADMIN_URL,
    SERVERS,
    Server,
    backends,
    cpu_per_request,
    cpu_seconds,
    memory_kib,
    served,
    settings,
)
from logins import VERIFY_LUA
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import crypto
from service.db import make_engine
from service.identity import keys
from service.identity.actors import SYSTEM
from tests.support.seeding import scratch_database

# Codes read in turn by the two reads, each made through the API before they run,
# from the municipality the verify key is bound to.
CODES = 400
HOME = "101"
ME = """
local codes = {%(codes)s}
local n = 0
function request()
  n = n + 1
  local code = codes[(n %% #codes) + 1]
  return wrk.format("GET", "/api/v1/me", {["Authorization"] = "Bearer " .. code})
end
"""


def _script(folder: Path, name: str, template: str, **values: str) -> Path:
    path = folder / f"{name}.lua"
    path.write_text(template % values + LUA_COUNTING, encoding="utf-8")
    return path


def _codes(server: Server, centre: uuid.UUID, slots: list[uuid.UUID]) -> list[str]:
    """Book one course a slot, from the verify key's municipality, and return their codes."""
    codes = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for slot in slots:
            answer = client.post("/api/v1/courses", json=booking_body(centre, slot, HOME))
            if answer.status_code != 201:
                raise SystemExit(f"booking a code for the reads: {answer.status_code}")
            codes.append(answer.json()["token"])
    return codes


def verify_key(url: str, keyring: crypto.Keyring) -> str:
    """Make a tokens:verify key for the municipality of the codes read; return it."""
    engine = make_engine(url)
    with Session(engine) as session:
        made = keys.create(
            session,
            keyring,
            SYSTEM,
            name="bench ratio",
            scopes=frozenset({"tokens:verify"}),
            municipality_code=HOME,
            now=datetime.now(UTC),
        )
        session.commit()
    engine.dispose()
    return made.key


def _measure(
    server: Server,
    database: str,
    script: Path,
    *,
    args: argparse.Namespace,
    expect: int,
    warm_up: Path | None = None,
    stacks: Path | None = None,
) -> dict[str, float]:
    """Warm up at 8 clients for 5 s, then run wrk at --clients, with app and db CPU.

    The warm-up runs ``warm_up`` if given (a booking must not take the
    measured run's slots), else the measured script itself. With ``stacks``,
    py-spy samples one worker through the measured run into that file.
    """
    port = int(server.url.rsplit(":", 1)[1])
    wrk(port, 8, 5, warm_up or script, expect=expect)
    app, db = [server.process.pid, *server.workers()], backends(database)
    spy = profile(min(server.workers()), args.seconds, stacks) if stacks else None
    app_before, db_before = cpu_seconds(app), cpu_seconds(db)
    figures = wrk(port, args.clients, args.seconds, script, expect=expect)
    figures["app_ms"] = cpu_per_request(app_before, cpu_seconds(app), figures["requests"])
    figures["db_ms"] = cpu_per_request(db_before, cpu_seconds(db), figures["requests"])
    if spy is not None:
        spy.wait(timeout=args.seconds + 30)
    return figures


def _service(
    args: argparse.Namespace,
    url: str,
    slots: list[uuid.UUID],
    *,
    centre: uuid.UUID,
    homes: list[str],
    folder: Path,
) -> dict[str, dict[str, float]]:
    """Serve the service; book, then verify codes and read courses."""
    token_key = crypto.Keyring.generate_config()
    environment = settings(url, token_key)
    if args.redis_url:
        environment["DISKRET_REDIS_URL"] = args.redis_url
    else:
        environment.pop("DISKRET_REDIS_URL")
    database = make_url(url).database or ""
    key = verify_key(url, crypto.Keyring.parse(token_key))
    results = {}
    with served(environment, workers=2, threads=2, server=args.server) as server:
        warm, measured, reads = slots[0::3], slots[1::3], slots[2::3][:CODES]
        results["service, booking"] = _measure(
            server,
            database,
            wrk_script(folder / "book", measured, args.clients, centre=centre, homes=homes),
            args=args,
            expect=201,
            warm_up=wrk_script(folder / "warm", warm, 8, centre=centre, homes=homes),
            stacks=args.profile / "booking.txt" if args.profile else None,
        )
        codes = ", ".join(f'"{code}"' for code in _codes(server, centre, reads))
        reading = (
            ("service, token verify", "verify", VERIFY_LUA, {"tokens": codes, "key": key}),
            ("service, GET /me", "me", ME, {"codes": codes}),
        )
        for name, stem, template, values in reading:
            results[name] = _measure(
                server,
                database,
                _script(folder, stem, template, **values),
                args=args,
                expect=200,
                stacks=args.profile / f"{stem}.txt" if args.profile else None,
            )
    return results


def _book(
    server: Server, slots: list[uuid.UUID], count: int, *, folder: Path, args: argparse.Namespace
) -> tuple[int, list[uuid.UUID]]:
    """Book about ``count`` courses in runs of wrk; return how many, and the slots left free."""
    port = int(server.url.rsplit(":", 1)[1])
    booked = 0
    while booked < count:
        # About 250 a second here: a run sized to what is left, at most a minute.
        seconds = max(2, min(60, (count - booked) // 250))
        script = wrk_script(
            folder / f"memory-{booked}", slots, args.clients, centre=args.centre, homes=args.homes
        )
        figures = wrk(port, args.clients, seconds, script)
        booked += int(figures["requests"] - figures["non_2xx"])
        # Each request took the next slot of the list: the rest are free.
        slots = slots[int(figures["requests"]) + args.clients :]
    return booked, slots


def _memory(args: argparse.Namespace, url: str, slots: list[uuid.UUID]) -> None:
    """Read each worker's resident size after 1,000 bookings and after --memory bookings."""
    environment = settings(url, crypto.Keyring.generate_config())
    environment.pop("DISKRET_REDIS_URL")
    with (
        tempfile.TemporaryDirectory(prefix="diskret-ratio-") as scratch,
        served(environment, workers=2, threads=2) as server,
    ):
        folder = Path(scratch)
        first, slots = _book(server, slots, 1000, folder=folder, args=args)
        early = {pid: memory_kib(pid, "VmRSS") for pid in server.workers()}
        more, _ = _book(server, slots, args.memory - first, folder=folder, args=args)
        late = {pid: memory_kib(pid, "VmRSS") for pid in server.workers()}
    print(f"bookings: {first}, then {first + more} in all; each worker's resident size (VmRSS):")
    for pid, size in early.items():
        grown = late[pid] / size - 1
        print(f"  worker {pid}: {size / 1024:.1f} MiB -> {late[pid] / 1024:.1f} MiB, {grown:+.1%}")
    print("goal: at most +10.0 %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--slots", type=int, default=150000)
    parser.add_argument("--redis-url", help="count rate limits in this Redis, as in production")
    parser.add_argument("--memory", type=int, help="measure worker memory over this many bookings")
    parser.add_argument("--server", choices=SERVERS, default="gunicorn")
    parser.add_argument("--profile", type=Path, help="py-spy each service run into this folder")
    args = parser.parse_args()
    if args.profile and args.server != "gunicorn":
        parser.error("--profile reads gunicorn's request threads: profile with --server gunicorn")
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (Debian: apt-get install wrk postgresql-client)")
    with (
        tempfile.TemporaryDirectory(prefix="diskret-ratio-") as scratch,
        scratch_database(args.admin_url, prefix="diskret_bench") as url,
    ):
        folder = Path(scratch)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        if args.memory:
            args.centre, ids, args.homes = seed(url, args.memory + 50000, "all")
            _memory(args, url, ids)
            return
        centre, ids, homes = seed(url, args.slots, "all")
        floor_slots, service_slots = ids[0::2], ids[1::2]
        results = {
            f"floor, {mode}": floor_run(
                url, mode, floor_slots[number::2], centre=centre, homes=homes, args=args
            )
            for number, mode in enumerate(("constant", "booking"))
        }
        results |= _service(args, url, service_slots, centre=centre, homes=homes, folder=folder)
        database = pgbench(url, centre, homes, clients=32, seconds=args.seconds, folder=folder)
    _report(args, results, database["pgbench, as sent, 32 clients"]["rate"])
    if args.profile:
        _profiles(args.profile)


def _report(args: argparse.Namespace, results: dict[str, dict[str, float]], pgbench: float) -> None:
    print(f"homes: all 98; {args.server} 2 x 2; {args.clients} clients, {args.seconds} s each")
    print(
        f"{'run':<24} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'other':>7}"
        f" {'app CPU ms':>11} {'db CPU ms':>10}"
    )
    for name, row in results.items():
        other = sum(value for key, value in row.items() if key.startswith("status "))
        print(
            f"{name:<24} {row['rate']:>9.1f} {row['p50']:>8.1f} {row['p99']:>8.1f} {other:>7.0f}"
            f" {row['app_ms']:>11.2f} {row['db_ms']:>10.2f}"
        )
    print(f"{'pgbench, as sent':<24} {pgbench:>9.1f}")
    floor = results["floor, booking"]["rate"]
    constant = results["floor, constant"]["rate"]
    booking = results["service, booking"]
    print(f"service booking / floor booking: {booking['rate'] / floor:.3f}  (goal 0.6)")
    print(f"service booking p99: {booking['p99']:.1f} ms  (goal under 100)")
    for name in ("service, token verify", "service, GET /me"):
        print(f"{name} / floor constant: {results[name]['rate'] / constant:.3f}  (goal 0.5)")
    print(f"service booking / pgbench as sent: {booking['rate'] / pgbench:.3f}")


def _profiles(folder: Path) -> None:
    """Print, for each run profiled, the shares of one worker's request time by part."""
    for stem in ("booking", "verify", "me"):
        print(f"one worker's request time, {stem} (py-spy --gil, {folder / stem}.txt):")
        for name, share in shares(folder / f"{stem}.txt"):
            if share:
                print(f"  {share:5.1f} %  {name}")


if __name__ == "__main__":
    main()
