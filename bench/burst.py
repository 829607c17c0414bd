"""A burst of citizens racing for the last places of one group: who got in, in what order, how fast.

    .venv-test/bin/python bench/burst.py [--admin-url postgresql://postgres@127.0.0.1:5432/test]
        [--citizens 500] [--places 10] [--workers 2] [--threads 2]

Makes a scratch PostgreSQL database with one centre, one group with
``--places`` free places and ``--citizens`` courses approved for group entry
(created and approved through the booking rules themselves), serves the app
with `diskret serve` (gunicorn), and has every citizen ask for a place at
once: one thread and one connection each, all released by one barrier,
POST /api/v1/me/bookings with the citizen's token.

Then it checks the outcome against the database:

- exactly ``--places`` bookings are ``booked`` and ``groups.places_taken``
  says so; every other request is ``waitlisted`` with queue numbers 1..n
  without gap or repeat, and each answer told its citizen the status and
  waitlist position that the database holds;
- the waitlist is in the order in which the database accepted the requests.
  "Accepted" is the moment a request's transaction, holding the group's row
  lock, inserts its booking: a trigger installed in the scratch database for
  the run draws a sequence number at that insert. The group's lock makes
  those moments one after the other, so the sequence is the order of
  acceptance; the first ``--places`` of them must be the booked ones and
  the rest must carry queue numbers 1, 2, 3 ... in that same order.

It prints the burst's duration (first request sent to last answer
received), p50 and p99 of the requests, and every answer that was not 201.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
from harness import ADMIN_URL, percentile, served, settings
from sqlalchemy import text
from sqlalchemy.orm import Session

import crypto
from service import migrate
from service.booking import pathway
from service.booking.directory import load_municipalities
from service.db import make_engine
from service.identity.actors import Actor
from tests.support.seeding import add_intro_slots, scratch_database
from tests.support.world import add_centre, add_contract, add_group

# Bench instrumentation, in the scratch database only: the order in which
# group bookings were inserted, each under its group's row lock.
WITNESS = (
    "CREATE SEQUENCE bench_accepted_seq",
    "CREATE TABLE bench_accepted (booking_id uuid PRIMARY KEY, n bigint NOT NULL,"
    " at timestamptz NOT NULL)",
    """
    CREATE FUNCTION bench_note_accepted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO bench_accepted
            VALUES (NEW.id, nextval('bench_accepted_seq'), clock_timestamp());
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER bench_note_accepted AFTER INSERT ON bookings
        FOR EACH ROW WHEN (NEW.kind = 'group') EXECUTE FUNCTION bench_note_accepted()
    """,
)

OUTCOME = """
SELECT a.n, a.at, b.id, b.status, b.queue_no
FROM bookings b JOIN bench_accepted a ON a.booking_id = b.id
WHERE b.group_id = :group
ORDER BY a.n
"""


@dataclass
class Answer:
    """One citizen's request: when it was sent and answered, and what came back."""

    sent: float
    received: float
    status: int
    body: dict[str, object]


def _seed(
    url: str, keyring: crypto.Keyring, citizens: int, places: int
) -> tuple[uuid.UUID, list[str]]:
    """Return a group with ``places`` free places, and tokens of approved courses at its centre."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        load_municipalities(session)
        centre = add_centre(session, "101", "Bench", now)
        add_contract(session, "101", centre, valid_from=date(2020, 1, 1))
        group = add_group(
            session, centre, first=now + timedelta(days=7), capacity=places, sessions=8
        )
        start = now + timedelta(hours=1)
        slots = add_intro_slots(session, centre.id, citizens, first=start, now=now)
        session.commit()
        # Every course goes the citizen's way through the rules: a request with
        # its intro talk, then the centre's approval once the talk was held.
        staff = Actor(kind="staff", id=uuid.uuid4(), centre_id=centre.id)
        after_the_talks = start + timedelta(minutes=15 * citizens + 60)
        tokens = []
        for slot in slots:
            token, course = pathway.create_course(
                session,
                keyring,
                home_municipality="101",
                centre_id=centre.id,
                intro_slot_id=slot,
                language="da",
                now=now,
            )
            pathway.decide(
                session, staff, course.id, pathway.Decision.APPROVED, now=after_the_talks
            )
            session.commit()
            tokens.append(token)
        with session.begin():
            for statement in WITNESS:
                session.execute(text(statement))
        group_id = group.id
    engine.dispose()
    return group_id, tokens


def _race(base: str, tokens: list[str], group: uuid.UUID) -> list[Answer]:
    barrier = threading.Barrier(len(tokens))

    def ask(token: str) -> Answer:
        with httpx.Client(base_url=base, timeout=120) as client:
            barrier.wait()
            sent = time.perf_counter()
            response = client.post(
                "/api/v1/me/bookings",
                json={"group_id": str(group)},
                headers={"Authorization": f"Bearer {token}"},
            )
            received = time.perf_counter()
        return Answer(sent, received, response.status_code, response.json())

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        return list(pool.map(ask, tokens))


def _check(
    url: str, group: uuid.UUID, answers: list[Answer], places: int
) -> tuple[list[str], list[float]]:
    """Return what is wrong with the outcome (nothing, when the rules held), and the gaps.

    The gaps are the milliseconds between one acceptance and the next: how
    long each request held the group's lock, its queue aside.
    """
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(OUTCOME), {"group": group}).all()
        taken, counter = connection.execute(
            text("SELECT places_taken, waitlist_counter FROM groups WHERE id = :group"),
            {"group": group},
        ).one()
    engine.dispose()
    problems = []
    waiting = len(rows) - places
    statuses = [row.status for row in rows]
    if statuses != ["booked"] * places + ["waitlisted"] * waiting:
        problems.append(
            f"in order of acceptance, the statuses are not {places} booked then the waitlist: "
            f"{Counter(statuses)}"
        )
    queue = [row.queue_no for row in rows[places:]]
    if queue != list(range(1, waiting + 1)):
        problems.append("the queue numbers, in order of acceptance, are not 1, 2, 3 ...")
    if (taken, counter) != (places, waiting):
        problems.append(f"the group says {taken} places taken and {counter} queued")
    told = {str(answer.body["id"]): answer.body for answer in answers if answer.status == 201}
    for row in rows:
        said = told.get(str(row.id))
        if (
            said is None
            or said["status"] != row.status
            or said["waitlist_position"] != row.queue_no
        ):
            problems.append(f"booking {row.id}: the answer differs from the database")
            break
    gaps = [(b.at - a.at).total_seconds() * 1000 for a, b in itertools.pairwise(rows)]
    return problems, gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--places", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    token_key = crypto.Keyring.generate_config()
    keyring = crypto.Keyring.parse(token_key)
    print(f"load average at start {os.getloadavg()}")
    with scratch_database(args.admin_url, prefix="diskret_bench") as url:
        started = time.perf_counter()
        group, tokens = _seed(url, keyring, args.citizens, args.places)
        print(f"seeded {len(tokens)} approved courses in {time.perf_counter() - started:.1f} s")
        with served(settings(url, token_key), workers=args.workers, threads=args.threads) as server:
            for _ in range(20):  # every worker imports, connects and renders once first
                httpx.get(server.url + "/api/v1/municipalities")
            answers = _race(server.url, tokens, group)
        problems, gaps = _check(url, group, answers, args.places)

    first = min(answer.sent for answer in answers)
    last = max(answer.received for answer in answers)
    times = [(answer.received - answer.sent) * 1000 for answer in answers]
    outcomes = Counter(
        str(answer.body.get("status")) if answer.status == 201 else str(answer.status)
        for answer in answers
    )
    errors = Counter(
        f"{answer.status} {answer.body.get('code')}" for answer in answers if answer.status != 201
    )
    print(f"citizens {len(answers)}, places {args.places}: {dict(outcomes)}")
    print(f"burst    {(last - first) * 1000:.0f} ms from the first request sent to the last answer")
    print(f"requests p50 {percentile(times, 0.5):.0f} ms, p99 {percentile(times, 0.99):.0f} ms")
    print(f"errors   {sum(errors.values())} {dict(errors)}")
    print(
        f"lock     one acceptance to the next: p50 {percentile(gaps, 0.5):.1f} ms,"
        f" p99 {percentile(gaps, 0.99):.1f} ms (the group's lock, held per booking)"
    )
    print("checks   " + ("all held" if not problems else "FAILED: " + "; ".join(problems)))
    print(f"load average at end {os.getloadavg()}")
    print(json.dumps({"workers": args.workers, "threads": args.threads, "cpus": os.cpu_count()}))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
