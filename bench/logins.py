"""Staff sign-ins per second with the workers' memory, and token verifications per second.

    .venv-test/bin/python bench/logins.py [--admin-url postgresql://postgres@127.0.0.1:5432/test]
        [--workers 2] [--threads 2] [--concurrency 1] [--server-concurrency 1] [--wait-ms 0]
        [--nice 19] [--profile staff] [--flooders 32] [--rate 40] [--seconds 20]
        [--flood-nice 0] [--verify-clients 8 32]

Makes a scratch PostgreSQL database with staff accounts whose passwords are
hashed with the production profile (crypto.STAFF_PROFILE, argon2id m=19 MiB,
t=2, p=1; ``--profile test`` makes hashing nearly free, as a control that
shows what the same flood costs without argon2), courses with tokens and a
``tokens:verify`` API key, and serves the app with `diskret serve`
(gunicorn, --workers x --threads), the argon2 bound set by --concurrency
(PASSWORD_CONCURRENCY, per worker), --server-concurrency
(PASSWORD_SERVER_CONCURRENCY, over all workers), --wait-ms (PASSWORD_WAIT_MS)
and --nice (PASSWORD_NICE), whose defaults are the service's own. Every rate limit is
set far above what the run sends, so that the limiter still does its work
(Redis) but never answers 429: the sign-in limits count failures per
account and per client, and a flood from many clients is what the argon2
bound has to withstand.

1. A citizen route, GET /api/v1/me with a citizen's token, probed at a
   steady 20 requests a second (a new connection each, so both workers are
   probed) with nothing else running: the unloaded p50 and p99. The probe
   runs in a process of its own, so that it never waits for the flood
   clients' GIL.
2. Token verifications: POST /api/v1/tokens/verify with the API key, from
   wrk at each --verify-clients, 15 s each: verifications per second.
3. The flood: --flooders clients signing in over and over (GET the form for
   its CSRF token, POST the right password), --rate attempts a second in
   all (more than the workers can hash, far fewer than they could answer
   if a sign-in were cheap; 0 for as fast as they are answered), for
   --seconds, while the same probe runs and each worker's resident memory
   is sampled every 50 ms: sign-ins per second, answers by status, the
   probe's p50 and p99, and each worker's peak resident memory (VmHWM)
   against the bound. The flood's clients run on the server's machine, and
   take its CPU as the server's own load does; --flood-nice gives their
   threads a lower priority (19: the lowest), for an attacker whose CPU is
   not the server's, while the probe keeps the normal one.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from harness import ADMIN_URL, Server, memory_kib, percentile, served, settings
from sqlalchemy.orm import Session

import crypto
from service import migrate
from service.booking import pathway
from service.booking.directory import load_municipalities
from service.db import make_engine
from service.identity import accounts, keys
from service.identity.actors import SYSTEM
from service.models import Role
from tests.support.seeding import add_intro_slots, scratch_database
from tests.support.world import add_centre, add_contract

PASSWORD = "bench sign-in password, 2026"  # noqa: S105 - made-up accounts of a scratch database
PROFILES = {"staff": crypto.STAFF_PROFILE, "test": crypto.TEST_PROFILE}
PROBE_RATE = 20  # probe requests a second
VERIFY_LUA = """
local tokens = {%(tokens)s}
local n = 0
function request()
  n = n + 1
  local body = '{"token":"' .. tokens[(n %% #tokens) + 1] .. '"}'
  return wrk.format("POST", "/api/v1/tokens/verify",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(key)s"}, body)
end
"""


@dataclass
class World:
    """What the run signs in with and verifies."""

    usernames: list[str]
    tokens: list[str]
    api_key: str


def _seed(
    url: str, keyring: crypto.Keyring, profile: crypto.PasswordProfile, staff: int, courses: int
) -> World:
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        load_municipalities(session)
        centre = add_centre(session, "101", "Bench", now)
        add_contract(session, "101", centre, valid_from=date(2020, 1, 1))
        usernames = []
        for n in range(staff):
            made = accounts.create(
                session,
                username=f"bench.staff{n}",
                role=Role.STAFF,
                centre_id=centre.id,
                created_by=None,
                profile=profile,
                now=now,
            )
            accounts.set_password(session, made.account, PASSWORD, profile=profile, now=now)
            usernames.append(made.account.username)
        slots = add_intro_slots(session, centre.id, courses, first=now + timedelta(days=1), now=now)
        tokens = [
            pathway.create_course(
                session,
                keyring,
                home_municipality="101",
                centre_id=centre.id,
                intro_slot_id=slot,
                language="da",
                now=now,
            )[0]
            for slot in slots
        ]
        made_key = keys.create(
            session,
            keyring,
            SYSTEM,
            name="bench verify",
            scopes=frozenset({"tokens:verify"}),
            municipality_code="101",
            now=now,
        )
        session.commit()
    engine.dispose()
    return World(usernames, tokens, made_key.key)


@dataclass
class Probed:
    """A citizen's route asked at a steady rate: the times of the answers in ms, and failures."""

    times: list[float]
    failures: Counter[int]

    def figures(self) -> str:
        """Return the probe's p50 and p99 as text."""
        return (
            f"p50 {percentile(self.times, 0.5):.1f} ms, p99 {percentile(self.times, 0.99):.1f} ms"
            f" ({len(self.times)} requests, failed {dict(self.failures)})"
        )


def probe(url: str, token: str, seconds: float) -> Probed:
    """Ask GET /api/v1/me for ``seconds``, 1/PROBE_RATE s apart, each on a new connection.

    Runs in a process of its own (``_probing``): in the flood's process it
    would wait for the GIL behind the flood's client threads, and measure
    that wait as the server's.
    """
    probed = Probed([], Counter())
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    with httpx.Client(base_url=url, timeout=30) as client:
        due = started = time.perf_counter()
        while due - started < seconds:
            due += 1 / PROBE_RATE
            sent = time.perf_counter()
            answer = client.get("/api/v1/me", headers=headers)
            probed.times.append((time.perf_counter() - sent) * 1000)
            if answer.status_code != 200:
                probed.failures[answer.status_code] += 1
            time.sleep(max(0.0, due - time.perf_counter()))
    return probed


@contextmanager
def _probing(server: Server, token: str, seconds: float) -> Iterator[Future[Probed]]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool.submit(probe, server.url, token, seconds)


def _verify_rate(server: Server, world: World, clients: int, seconds: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "verify.lua"
        tokens = ",".join(f'"{token}"' for token in world.tokens)
        script.write_text(VERIFY_LUA % {"tokens": tokens, "key": world.api_key}, encoding="utf-8")
        output = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(clients, 2)),
                "-c",
                str(clients),
                "-d",
                f"{seconds}s",
                "--latency",
                "-s",
                str(script),
                server.url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+(\S+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if rate is None or p50 is None or p99 is None:
        raise SystemExit("wrk printed no figures:\n" + output)
    return (
        f"{clients:>3} clients: {float(rate.group(1)):7.1f} verifications/s, "
        f"p50 {p50.group(1)}, p99 {p99.group(1)}, non-2xx {errors.group(1) if errors else 0}"
    )


@dataclass
class Flood:
    """Clients signing in over and over: the answers' statuses and times."""

    server: Server
    usernames: list[str]
    # Seconds between one client's attempts; 0 sends the next as soon as one is answered.
    interval: float
    # The nice value of each client's thread (Linux keeps one per thread).
    nice: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, username: str) -> None:
        """Sign one account in until stopped, as a browser would: the form, then the POST.

        Attempts start every ``interval`` seconds; one that is late starts as
        soon as the one before is answered, and none is made up for.
        """
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        with httpx.Client(base_url=self.server.url, timeout=60) as client:
            due = time.perf_counter()
            while not self.stop.is_set():
                time.sleep(max(0.0, due - time.perf_counter()))
                due = max(due, time.perf_counter()) + self.interval
                form = client.get("/staff/login")
                found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
                # The session cookie is Secure (__Host-), so httpx keeps it
                # from plain http: it is sent back by hand, as a browser over
                # TLS would.
                cookie = form.headers.get("set-cookie", "").split(";", 1)[0]
                if found is None or not cookie:
                    raise SystemExit("the sign-in form gave no CSRF token or cookie")
                started = time.perf_counter()
                answer = client.post(
                    "/staff/login",
                    data={"username": username, "password": PASSWORD, "csrf_token": found[1]},
                    headers={"Cookie": cookie},
                )
                elapsed = (time.perf_counter() - started) * 1000
                with self.lock:
                    self.statuses[answer.status_code] += 1
                    self.times.append(elapsed)
                client.cookies.clear()


def _flood(
    server: Server, world: World, token: str, args: argparse.Namespace
) -> tuple[Flood, Probed, dict[int, int], float]:
    flooders = args.flooders
    interval = flooders / args.rate if args.rate else 0.0
    flood = Flood(server, world.usernames, interval, nice=args.flood_nice)
    workers = server.workers()
    peaks = dict.fromkeys(workers, 0)
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            for pid in workers:
                peaks[pid] = max(peaks[pid], memory_kib(pid, "VmRSS"))
            time.sleep(0.05)

    threads = [
        threading.Thread(target=flood.client, args=(world.usernames[n % len(world.usernames)],))
        for n in range(flooders)
    ]
    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(1)  # the flood builds up before the probe measures
    with _probing(server, token, args.seconds) as probed:
        during = probed.result()
    flood.stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    sampling.set()
    sampler.join()
    return flood, during, peaks, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1, help="PASSWORD_CONCURRENCY")
    parser.add_argument(
        "--server-concurrency", type=int, default=1, help="PASSWORD_SERVER_CONCURRENCY"
    )
    parser.add_argument("--wait-ms", type=int, default=0, help="PASSWORD_WAIT_MS")
    parser.add_argument("--nice", type=int, default=19, help="PASSWORD_NICE")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="staff",
        help='PASSWORD_PROFILE; "test" (no real argon2 cost) is the control',
    )
    parser.add_argument("--flooders", type=int, default=32)
    parser.add_argument(
        "--rate", type=float, default=40, help="sign-in attempts a second in all; 0: no pause"
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--flood-nice", type=int, default=0, help="the flood clients' threads' nice value"
    )
    parser.add_argument("--verify-clients", type=int, nargs="*", default=[8, 32])
    parser.add_argument("--verify-seconds", type=int, default=15)
    args = parser.parse_args()
    if args.verify_clients and shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the verification rate (Debian: apt-get install wrk)")

    token_key = crypto.Keyring.generate_config()
    keyring = crypto.Keyring.parse(token_key)
    profile = PROFILES[args.profile]
    memory_cost = profile.memory_cost // 1024
    print(f"load average at start {os.getloadavg()}")
    with scratch_database(args.admin_url, prefix="diskret_bench") as url:
        world = _seed(url, keyring, profile, staff=16, courses=50)
        environment = settings(
            url,
            token_key,
            PASSWORD_CONCURRENCY=str(args.concurrency),
            PASSWORD_SERVER_CONCURRENCY=str(args.server_concurrency),
            PASSWORD_WAIT_MS=str(args.wait_ms),
            PASSWORD_NICE=str(args.nice),
            PASSWORD_PROFILE=args.profile,
        )
        with served(environment, workers=args.workers, threads=args.threads) as server:
            for _ in range(20):  # every worker imports, connects and renders once first
                httpx.get(server.url + "/staff/login")
                httpx.get(server.url + "/api/v1/municipalities")
            before = {pid: memory_kib(pid, "VmRSS") for pid in server.workers()}
            with _probing(server, world.tokens[0], args.seconds) as probed:
                alone = probed.result()
            print(f"citizen GET /api/v1/me, unloaded: {alone.figures()}")
            for clients in args.verify_clients:
                print(
                    "token verification "
                    + _verify_rate(server, world, clients, args.verify_seconds)
                )
            flood, during, peaks, elapsed = _flood(server, world, world.tokens[0], args)
            hwm = {pid: memory_kib(pid, "VmHWM") for pid in server.workers()}

    signed_in = flood.statuses[303]
    print(
        f"sign-in flood, {args.flooders} clients at {args.rate:g} attempts/s, {elapsed:.0f} s: "
        f"{signed_in / elapsed:.1f} sign-ins/s, answers {dict(flood.statuses)}, POST "
        f"p50 {percentile(flood.times, 0.5):.0f} ms, p99 {percentile(flood.times, 0.99):.0f} ms"
    )
    print(f"citizen GET /api/v1/me during the flood: {during.figures()}")
    ratio = percentile(during.times, 0.99) / percentile(alone.times, 0.99)
    print(f"p99 during the flood / unloaded p99: {ratio:.2f} (the goal: at most 2)")
    bound = args.concurrency * memory_cost
    for pid in sorted(peaks):
        print(
            f"worker {pid}: resident {before[pid] / 1024:.0f} MiB before the flood, "
            f"peak {peaks[pid] / 1024:.0f} MiB sampled, VmHWM {hwm[pid] / 1024:.0f} MiB; "
            f"growth {(hwm[pid] - before[pid]) / 1024:.0f} MiB "
            f"(bound: {args.concurrency} x {memory_cost} MiB = {bound} MiB)"
        )
    print(f"load average at end {os.getloadavg()}")
    print(
        json.dumps(
            {
                "workers": args.workers,
                "threads": args.threads,
                "PASSWORD_CONCURRENCY": args.concurrency,
                "PASSWORD_SERVER_CONCURRENCY": args.server_concurrency,
                "PASSWORD_WAIT_MS": args.wait_ms,
                "PASSWORD_NICE": args.nice,
                "PASSWORD_PROFILE": args.profile,
                "flood nice": args.flood_nice,
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
