"""How the cost of the listings and the statistics grows with ten years of national data.

    .venv-test/bin/python bench/growth.py [--admin-url postgresql://postgres@127.0.0.1:5432/test]
        [--centres 100] [--courses-per-year 30000] [--bookings 1000000] [--years 10]
        [--repeats 100] [--budget 120] [--only stats] [--keep] [--url URL]

Fills a scratch PostgreSQL database (COPY, through psycopg) with made-up
national data that keeps every constraint of the schema: the 98
municipalities, ``--centres`` centres with their contracts (current and
ended ones), ``--years`` of courses from request to outcome, each with its
intro talk, its group place (or waitlist entry) and its closing talk, groups
of twelve starting every fortnight at every centre with eight weekly
sessions, the slots all of these took plus unused and future free ones,
cancelled bookings (moved talks) up to ``--bookings`` in all, and the
monthly tallies and waiting-time histograms the statistics read, counted
from those same courses. Attendance is left empty: no route measured here
reads it.

Then it asks the app (in process, through the Flask test client, so that
the figures are the app's and the database's and not the HTTP server's)
``--repeats`` times (or fewer once ``--budget`` seconds are spent) for each of:

- a municipality's providers, GET /api/v1/municipalities/<code>/providers
  (every municipality in turn);
- a centre's free intro and closing slots and its groups (every centre in turn);
- the statistics, GET /api/v1/stats and /stats.csv with a national
  ``stats:read`` key, and the default view with a municipality's and a
  centre's key, ten years by year, by month and (a municipality's key)
  by quarter, and the widest views by flow (twelve months, ten years by
  year): the first request of each (every
  year's published columns of every view and period for the keys' reaches
  are in the database, published beforehand as the daily purge does, and
  timed) apart from the rest: the rest are answered from what the
  process kept of the first;

prints p50 and p99 of each, then the most memory each statistics route's
first request held (in a second round, as a new worker), and
EXPLAIN (ANALYZE, BUFFERS) of the statements one request of each route
sends: a line per statement, and the plan of each that took a millisecond
or more, with sequential scans on the big tables marked. ``--keep`` keeps
the database and prints its URL; ``--url`` measures such a database again
without filling it.
"""

from __future__ import annotations

import argparse
import base64
import gc
import os
import random
import time
import tracemalloc
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from flask import Flask
from harness import ADMIN_URL, percentile
from sqlalchemy import delete, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import crypto
from service import create_app, migrate
from service.api.stats import KEPT
from service.booking.directory import bundled_municipalities, load_municipalities
from service.booking.tally import month_of
from service.core.clock import last_month_over
from service.db import engine_of, make_engine
from service.identity import keys
from service.identity.actors import SYSTEM
from service.models import Centre as CentreRow
from service.models import StatsPublished
from service.stats import report
from service.stats.store import Kept
from tests.support.seeding import scratch_database

BIG_TABLES = ("bookings", "slots", "courses", "groups", "group_sessions", "tallies", "wait_tallies")
GROUP_PLACES = 12
GROUP_SESSIONS = 8
# The routes whose statements are EXPLAINed: the others send the same ones.
EXPLAINED = ("providers", "free intro slots", "groups of a centre", "stats, national, default")
CONTRACTS_EACH = 4  # current contracts of a municipality, besides one that ended
# A route measured: its name, the paths asked in turn, the API key sent.
Route = tuple[str, list[str], str | None]


@dataclass
class Centre:
    """A centre and what is planned there, as generated."""

    id: uuid.UUID
    code: str
    name: str
    groups: list[Group] = field(default_factory=list)


@dataclass
class Group:
    """A group as generated: its first session, its places and its waiting list."""

    id: uuid.UUID
    centre: Centre
    first: datetime
    booked: int = 0
    queued: int = 0

    @property
    def last_end(self) -> datetime:
        """Return when the last session ends."""
        return self.first + timedelta(weeks=GROUP_SESSIONS - 1, minutes=150)


@dataclass
class Data:
    """Rows to COPY, per table, and the counts the statistics read."""

    rows: defaultdict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    # Every course's id, centre and request time, for the moved talks.
    courses: list[tuple[uuid.UUID, Centre, datetime]] = field(default_factory=list)
    tallies: Counter[tuple[str, str, uuid.UUID, str]] = field(default_factory=Counter)
    waits: Counter[tuple[str, str, uuid.UUID, str, int]] = field(default_factory=Counter)

    def slot(self, centre: Centre, kind: str, starts: datetime) -> uuid.UUID:
        """Add a slot of 45 minutes at a centre and return its id."""
        slot = uuid.uuid4()
        created = starts - timedelta(days=30)
        self.rows["slots"].append(
            (slot, centre.id, kind, starts, starts + timedelta(minutes=45), created)
        )
        return slot

    def booking(
        self,
        course: uuid.UUID,
        kind: str,
        status: str,
        created: datetime,
        *,
        slot: uuid.UUID | None = None,
        group: uuid.UUID | None = None,
        queue_no: int | None = None,
        placed: datetime | None = None,
        cancelled: datetime | None = None,
    ) -> None:
        """Add a booking."""
        self.rows["bookings"].append(
            (uuid.uuid4(), course, kind, slot, group, status, queue_no, created, placed, cancelled)
        )

    def count(self, home: str, centre: Centre, metric: str, at: datetime) -> None:
        """Count an event as service.booking.tally does: in the Copenhagen month it happened."""
        self.tallies[(month_of(at), home, centre.id, metric)] += 1

    def wait(
        self,
        home: str,
        centre: Centre,
        measure: str,
        start: datetime,
        end: datetime,
        *,
        at: datetime,
    ) -> None:
        """Add a waiting time as service.booking.tally does: in the month it was recorded."""
        self.waits[(month_of(at), home, centre.id, measure, max(0, (end - start).days))] += 1


COLUMNS = {
    "centres": (
        "id, name, municipality_code, address, entrance, opening_hours, languages, created_at"
    ),
    "contracts": "id, municipality_code, centre_id, valid_from, valid_to",
    "groups": (
        "id, centre_id, name, capacity, places_taken, intake_open, late_join_until,"
        " waitlist_counter, created_at"
    ),
    "group_sessions": "id, group_id, number, starts_at, ends_at",
    "slots": "id, centre_id, kind, starts_at, ends_at, created_at",
    "courses": (
        "id, reference, token_digest, token_key_version, centre_id, home_municipality, language,"
        " status, requested_at, intro_at, decided_at, started_at, ended_at"
    ),
    "bookings": (
        "id, course_id, kind, slot_id, group_id, status, queue_no, created_at, placed_at,"
        " cancelled_at"
    ),
    "tallies": "month, home_municipality, centre_id, metric, count",
    "wait_tallies": "month, home_municipality, centre_id, measure, days, count",
}


def _daytime(rng: random.Random, day: datetime) -> datetime:
    """Return a time on a weekday between 8 and 15 UTC, on or after ``day``."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(
        hour=rng.randint(8, 15), minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0
    )


def generate(args: argparse.Namespace, now: datetime) -> tuple[Data, list[Centre], list[str]]:
    """Return the national data, its centres and the municipality codes."""
    rng = random.Random(args.seed)
    data = Data()
    start = now - timedelta(days=round(365.25 * args.years))
    codes = [m.code for m in bundled_municipalities()]
    centres = []
    for n in range(args.centres):
        centre = Centre(uuid.uuid4(), codes[n % len(codes)], f"Centre {n:03d}")
        centres.append(centre)
        data.rows["centres"].append(
            (centre.id, centre.name, centre.code, f"Vej {n}", "Porten", "9-17", "da en", start)
        )
    # A municipality contracts the centres next to it in the list, and had one more once.
    offered: dict[str, list[Centre]] = {}
    for index, code in enumerate(codes):
        near = [centres[(index + k) % len(centres)] for k in range(CONTRACTS_EACH + 1)]
        offered[code] = near[:CONTRACTS_EACH]
        for centre in near[:CONTRACTS_EACH]:
            data.rows["contracts"].append((uuid.uuid4(), code, centre.id, start.date(), None))
        ended = start.date() + timedelta(days=365 * 3)
        data.rows["contracts"].append((uuid.uuid4(), code, near[-1].id, start.date(), ended))
    # Groups of twelve start every fortnight at every centre, until eight weeks ahead.
    for centre in centres:
        first = _daytime(rng, start + timedelta(days=rng.randint(0, 13)))
        while first < now + timedelta(weeks=8):
            centre.groups.append(Group(uuid.uuid4(), centre, first))
            first += timedelta(days=14)
    weights = [1 / (1 + index % 20) for index in range(len(codes))]
    total = args.courses_per_year * args.years
    span = (now - start).total_seconds()
    for reference in range(total):
        home = rng.choices(codes, weights)[0]
        centre = rng.choice(offered[home])
        requested = start + timedelta(seconds=rng.uniform(0, span))
        _course(rng, data, now=now, number=reference, home=home, centre=centre, requested=requested)
    _moved_talks(rng, data, args.bookings, now)
    for centre in centres:
        _free_slots(rng, data, centre, now, start)
        _groups(data, centre, now)
    for (month, home, centre_id, metric), count in data.tallies.items():
        data.rows["tallies"].append((month, home, centre_id, metric, count))
    for (month, home, centre_id, measure, days), count in data.waits.items():
        data.rows["wait_tallies"].append((month, home, centre_id, measure, days, count))
    return data, centres, codes


def _course(
    rng: random.Random,
    data: Data,
    *,
    now: datetime,
    number: int,
    home: str,
    centre: Centre,
    requested: datetime,
) -> None:
    """Add one course from request to outcome, with its bookings and what it counts."""
    course = uuid.uuid4()
    intro = _daytime(rng, requested + timedelta(days=rng.randint(1, 14)))
    status, decided, started, ended, intro_status = "requested", None, None, None, "booked"
    data.count(home, centre, "requested", requested)
    slot = data.slot(centre, "intro", intro)
    decided_at = intro + timedelta(days=rng.randint(0, 3), hours=1)
    if intro <= now and rng.random() < 0.05:
        intro_status, status, ended = "no_show", "cancelled", intro + timedelta(days=14)
        if ended <= now:
            data.count(home, centre, "cancelled", ended)
        else:
            status, ended = "requested", None
    elif decided_at <= now:
        intro_status, decided = "attended", decided_at
        data.count(home, centre, "intro_held", decided)
        data.wait(home, centre, "request_to_intro", requested, intro, at=decided)
        if rng.random() < 0.15:
            status, ended = "referred", decided
            data.count(home, centre, "referred", decided)
        else:
            data.count(home, centre, "approved", decided)
            status, started, ended = _group_place(
                rng, data, now=now, course=course, home=home, centre=centre, decided=decided
            )
    data.booking(course, "intro", intro_status, requested, slot=slot)
    data.courses.append((course, centre, requested))
    digest = os.urandom(32)
    # References are random in the service; here they only need to be unique.
    reference = base64.b32encode(number.to_bytes(5, "big")).decode()[:8] + "B"
    data.rows["courses"].append(
        (
            course,
            reference,
            digest,
            1,
            centre.id,
            home,
            "da",
            status,
            requested,
            intro if decided else None,
            decided,
            started,
            ended,
        )
    )


def _group_place(
    rng: random.Random,
    data: Data,
    *,
    now: datetime,
    course: uuid.UUID,
    home: str,
    centre: Centre,
    decided: datetime,
) -> tuple[str, datetime | None, datetime | None]:
    """Place an approved course in the next group with room, or on the last one's waitlist."""
    upcoming = [g for g in centre.groups if g.first > decided + timedelta(days=1)]
    group = next((g for g in upcoming if g.booked < GROUP_PLACES), None)
    if group is None:
        last = upcoming[-1]
        last.queued += 1
        data.booking(course, "group", "waitlisted", decided, group=last.id, queue_no=last.queued)
        return "approved", None, None
    group.booked += 1
    placed = decided + timedelta(minutes=5)
    data.count(home, centre, "started", placed)
    data.wait(home, centre, "approval_to_group", decided, group.first, at=placed)
    if group.last_end > now - timedelta(days=7):
        data.booking(course, "group", "booked", decided, group=group.id, placed=placed)
        return "active", group.first, None
    if rng.random() < 0.2:
        left = group.first + timedelta(weeks=rng.randint(1, GROUP_SESSIONS - 2))
        group.booked -= 1
        data.booking(
            course, "group", "cancelled", decided, group=group.id, placed=placed, cancelled=left
        )
        data.count(home, centre, "dropped", left)
        return "dropped", group.first, left
    data.booking(course, "group", "booked", decided, group=group.id, placed=placed)
    ended = group.last_end + timedelta(days=7)
    if rng.random() < 0.75:
        closing = _daytime(rng, group.last_end + timedelta(days=2))
        slot = data.slot(centre, "closing", closing)
        data.booking(course, "closing", "attended", decided, slot=slot)
    data.count(home, centre, "completed", ended)
    return "completed", group.first, ended


def _moved_talks(rng: random.Random, data: Data, target: int, now: datetime) -> None:
    """Add moved talks (a cancelled booking whose slot stayed free) up to ``target`` bookings."""
    for _ in range(max(0, target - len(data.rows["bookings"]))):
        course, centre, requested = rng.choice(data.courses)
        starts = _daytime(rng, requested + timedelta(days=rng.randint(1, 10)))
        kind = "intro" if rng.random() < 0.7 else "closing"
        slot = data.slot(centre, kind, starts)
        cancelled = min(requested + timedelta(hours=rng.randint(2, 48)), now)
        data.booking(course, kind, "cancelled", requested, slot=slot, cancelled=cancelled)


def _free_slots(
    rng: random.Random, data: Data, centre: Centre, now: datetime, start: datetime
) -> None:
    """Add the free slots a centre offers in the next eight weeks, and some that went unused."""
    for day in range(1, 57):
        when = now + timedelta(days=day)
        if when.weekday() >= 5:
            continue
        for hour in (9, 10, 11, 13):
            data.slot(centre, "intro", when.replace(hour=hour, minute=0, second=0, microsecond=0))
        for hour in (14, 15):
            data.slot(centre, "closing", when.replace(hour=hour, minute=0, second=0, microsecond=0))
    span = (now - start).days
    for _ in range(600):
        data.slot(centre, "intro", _daytime(rng, start + timedelta(days=rng.randint(0, span - 1))))


def _groups(data: Data, centre: Centre, now: datetime) -> None:
    for number, group in enumerate(centre.groups):
        data.rows["groups"].append(
            (
                group.id,
                centre.id,
                f"Gruppe {number}",
                GROUP_PLACES,
                group.booked,
                True,
                2,
                group.queued,
                group.first - timedelta(days=30),
            )
        )
        for session in range(GROUP_SESSIONS):
            begins = group.first + timedelta(weeks=session)
            data.rows["group_sessions"].append(
                (uuid.uuid4(), group.id, session + 1, begins, begins + timedelta(minutes=150))
            )


def load(url: str, data: Data) -> None:
    """COPY every table's rows in, in the order of the foreign keys, then VACUUM ANALYZE."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        for table, columns in COLUMNS.items():
            with connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in data.rows[table]:
                    copy.write_row(row)
        connection.commit()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        sizes = connection.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY n_live_tup DESC LIMIT 9"
        ).fetchall()
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in sizes))


@dataclass
class Timing:
    """The answers' times of one route, in ms, and its first one apart."""

    name: str
    first: float = 0.0
    times: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def _bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _time(
    app: Flask, name: str, paths: list[str], key: str | None, *, repeats: int, budget: float
) -> Timing:
    """Ask a route ``repeats`` times after a first time, or fewer once ``budget`` s are spent."""
    client = app.test_client()
    headers = _bearer(key)
    timing = Timing(name)
    deadline = time.perf_counter() + budget
    for n in range(repeats + 1):
        if n > 1 and time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        answer = client.get(paths[n % len(paths)], headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        timing.statuses[answer.status_code] += 1
        if n == 0:
            timing.first = elapsed
        else:
            timing.times.append(elapsed)
    return timing


def _statements(app: Flask, path: str, key: str | None) -> list[tuple[str, Any]]:
    """Return the statements and parameters one request sends to the database."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        seen.append((statement, parameters))

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", note)
    try:
        app.test_client().get(path, headers=_bearer(key))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]


def explain(url: str, app: Flask, name: str, path: str, key: str | None) -> None:
    """Print EXPLAIN (ANALYZE, BUFFERS) of the statements of one request."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    print(f"\n== {name}: {path}")
    with psycopg.connect(conninfo) as connection:
        for statement, parameters in _statements(app, path, key):
            plan = [
                row[0]
                for row in connection.execute(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement,
                    parameters,
                )
            ]
            took = next(line for line in plan if line.startswith("Execution Time"))
            first = " ".join(statement.split())[:110]
            scans = [
                line.strip()
                for line in plan
                if "Seq Scan on" in line and any(f" {t} " in line + " " for t in BIG_TABLES)
            ]
            marker = "  SEQ SCAN ON A BIG TABLE" if scans else ""
            print(f"-- {took}{marker}: {first}")
            if float(took.split()[2]) >= 1.0 or scans:
                for line in plan:
                    # Long IN lists of ids say nothing a reader needs.
                    print("   " + (line if len(line) <= 160 else line[:157] + "..."))
        connection.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--centres", type=int, default=100)
    parser.add_argument("--courses-per-year", type=int, default=30000)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--url", help="use this database, already filled by an earlier --keep")
    parser.add_argument("--no-plans", action="store_true")
    parser.add_argument("--only", default="", help="only the routes whose name holds this")
    parser.add_argument(
        "--budget", type=float, default=120, help="seconds per route, after which it stops"
    )
    args = parser.parse_args()

    print(f"load average at start {os.getloadavg()}")
    if args.url:
        _measure(args, args.url)
        return
    with scratch_database(args.admin_url, prefix="diskret_bench", keep=args.keep) as url:
        _fill(args, url)
        _measure(args, url)
    if args.keep:
        print(f"kept: --url {url}  (drop it when done: DROP DATABASE ...)")


def _fill(args: argparse.Namespace, url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_municipalities(session)
        session.commit()
    engine.dispose()
    started = time.perf_counter()
    data, _, _ = generate(args, datetime.now(UTC))
    made = time.perf_counter()
    print(f"generated in {made - started:.0f} s")
    load(url, data)
    print(f"loaded in {time.perf_counter() - made:.0f} s")


def _measure(args: argparse.Namespace, url: str) -> None:
    token_key = crypto.Keyring.generate_config()
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-only-secret-key-not-for-production",
            "TOKEN_KEY": token_key,
            "RATELIMIT_ENABLED": False,
            "LOG_FORMAT": "text",
        }
    )
    engine = engine_of(app)
    # A database kept by an earlier --keep may be of an older schema.
    migrate.upgrade(engine)
    with Session(engine) as session:
        ring = crypto.Keyring.parse(token_key)
        codes = [m.code for m in bundled_municipalities()]
        centres = session.scalars(select(CentreRow.id).order_by(CentreRow.name)).all()
        centre_ids = [str(centre) for centre in centres]
        now = datetime.now(UTC)
        made = {
            "national": keys.create(
                session, ring, SYSTEM, name="bench national", scopes=["stats:read"], now=now
            ).key,
            "municipality": keys.create(
                session,
                ring,
                SYSTEM,
                name="bench municipality",
                scopes=["stats:read"],
                municipality_code="101",
                now=now,
            ).key,
            "centre": keys.create(
                session,
                ring,
                SYSTEM,
                name="bench centre",
                scopes=["stats:read"],
                centre_id=centres[0],
                now=now,
            ).key,
        }
        session.commit()
    horizon = last_month_over(datetime.now(UTC))
    ten_years = f"from={_months_back(horizon, 119)}&to={horizon}"
    routes: list[Route] = [
        ("providers", [f"/api/v1/municipalities/{c}/providers" for c in codes], None),
        ("free intro slots", [f"/api/v1/centres/{c}/slots?kind=intro" for c in centre_ids], None),
        (
            "free closing slots",
            [f"/api/v1/centres/{c}/slots?kind=closing" for c in centre_ids],
            None,
        ),
        ("groups of a centre", [f"/api/v1/centres/{c}/groups" for c in centre_ids], None),
        ("stats, national, default", ["/api/v1/stats"], made["national"]),
        ("stats, national, by centre", ["/api/v1/stats?by=centre"], made["national"]),
        ("stats, national, by flow", ["/api/v1/stats?by=flow"], made["national"]),
        ("stats.csv, national", ["/api/v1/stats.csv"], made["national"]),
        ("stats.csv, national, by flow", ["/api/v1/stats.csv?by=flow"], made["national"]),
        ("stats, municipality key", ["/api/v1/stats"], made["municipality"]),
        ("stats, centre key", ["/api/v1/stats"], made["centre"]),
        (
            "stats, national, 10 years by year",
            [f"/api/v1/stats?period=year&{ten_years}"],
            made["national"],
        ),
        (
            "stats, national, 10 years by month",
            [f"/api/v1/stats?period=month&{ten_years}"],
            made["national"],
        ),
        (
            "stats, municipality key, 10 years by quarter",
            [f"/api/v1/stats?period=quarter&{ten_years}"],
            made["municipality"],
        ),
        # The widest answers by flow allowed: twelve months over two years,
        # ten years by year.
        (
            "stats, by flow, 12 months",
            [f"/api/v1/stats?by=flow&from={_months_back(horizon, 11)}&to={horizon}"],
            made["national"],
        ),
        (
            "stats, by flow, 10 years by year",
            [f"/api/v1/stats?by=flow&period=year&{ten_years}"],
            made["national"],
        ),
    ]
    routes = [route for route in routes if args.only in route[0]]
    statistics = [route for route in routes if route[0].startswith("stats")]
    if statistics:
        _prepare(app)
    print(f"\n{'route':<36} {'first ms':>9} {'p50 ms':>8} {'p99 ms':>8}  answers")
    for name, paths, key in routes:
        timing = _time(app, name, paths, key, repeats=args.repeats, budget=args.budget)
        print(
            f"{timing.name:<36} {timing.first:>9.1f} {percentile(timing.times, 0.5):>8.1f}"
            f" {percentile(timing.times, 0.99):>8.1f}  {dict(timing.statuses)}",
            flush=True,
        )
    if statistics:
        _first_memory(app, statistics)
    if not args.no_plans:
        for name, paths, key in routes:
            if name in EXPLAINED:
                explain(url, app, name, paths[0], key)
    engine.dispose()
    print(f"\nload average at end {os.getloadavg()}")


def _prepare(app: Flask) -> None:
    """Do what the daily purge does, timed, from nothing published: publish every view
    and period of every year for the country and each stats key's reach; then the same
    again, as the next day's purge.

    The routes are then measured as any worker sees them: the published rows
    are in the database, and the process has kept no answer yet.
    """
    with Session(engine_of(app)) as session:
        session.execute(delete(StatsPublished))
        session.commit()
        for day in ("first purge", "next purge"):
            started = time.perf_counter()
            years, reaches, _ = report.publish(session, now=datetime.now(UTC))
            print(
                f"{day}: published every view and period of {len(years)} years "
                f"for {reaches} reaches in {time.perf_counter() - started:.1f} s"
            )
    # The purge runs in a process of its own (`diskret purge`): what it left
    # here is collected before the routes, as a worker never holds it.
    gc.collect()


def _first_memory(app: Flask, routes: list[Route]) -> None:
    """Print the most memory each statistics route's first request held at once.

    The peak is of what Python allocated during the request (``tracemalloc``,
    which slows it, so it is not timed), what the process held before it not.
    """
    print(f"\n{'first request of':<36} {'peak MiB':>9}")
    for name, paths, key in routes:
        client = app.test_client()
        # As a new worker: the answer the timed round kept would be found.
        app.extensions[KEPT] = Kept()
        tracemalloc.start()
        try:
            client.get(paths[0], headers=_bearer(key))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        print(f"{name:<36} {peak / 2**20:>9.1f}", flush=True)


def _months_back(month: str, count: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


if __name__ == "__main__":
    main()
