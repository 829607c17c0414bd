"""Retention on by default: old courses go with their bookings and tokens; tallies stay."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.booking import retention
from service.models import AuditEvent, Booking, Course, Tally
from tests.support.calls import bearer, start_course
from tests.support.world import World

PERIODS = retention.Periods()


def _age(session: Session, course_id: str, **fields: datetime) -> None:
    session.execute(update(Course).where(Course.id == uuid.UUID(course_id)).values(**fields))
    session.commit()


def _count(session: Session, model: type[object]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_course_goes_ninety_days_after_it_ended_with_its_bookings(
    client: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """Ended 91 days ago: deleted with its bookings; ended 89 days ago or open: kept."""
    _, old = start_course(client, world, slot=world.intro_a[0])
    _, recent = start_course(client, world, slot=world.intro_a[1])
    _, open_ = start_course(client, world, slot=world.intro_a[2])
    _age(session, old["id"], ended_at=now - timedelta(days=91))
    _age(session, recent["id"], ended_at=now - timedelta(days=89))
    tallies = session.scalars(select(Tally.count)).all()

    purged = retention.purge(session, PERIODS, now=now)
    session.commit()

    assert purged.ended_courses == 1
    kept = set(session.scalars(select(Course.id)).all())
    assert kept == {uuid.UUID(recent["id"]), uuid.UUID(open_["id"])}
    assert _count(session, Booking) == 2
    assert session.scalars(select(Tally.count)).all() == tallies


def test_a_code_that_never_got_past_a_cancelled_intro_goes_after_fourteen_days(
    client: FlaskClient, session: Session, world: World, now: datetime
) -> None:
    """Its intro cancelled and nothing else booked: gone after 14 days, and the code with it."""
    token, course = start_course(client, world)
    intro = course["bookings"][0]["id"]
    client.delete(f"/api/v1/me/bookings/{intro}", headers=bearer(token))
    _, waiting = start_course(client, world, slot=world.intro_a[1])
    for made in (course, waiting):
        _age(session, made["id"], requested_at=now - timedelta(days=15))

    purged = retention.purge(session, PERIODS, now=now)
    session.commit()

    assert purged.unstarted_courses == 1
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert session.scalars(select(Course.id)).all() == [uuid.UUID(waiting["id"])]


def test_audit_events_go_after_their_own_period(
    session: Session, world: World, now: datetime
) -> None:
    """A year and a day old: deleted; younger: kept, and the purge's own event added."""
    for age in (366, 364):
        session.add(
            AuditEvent(
                at=now - timedelta(days=age),
                actor_kind="system",
                actor_id=None,
                action="test.event",
                object_type="course",
                object_id=None,
                centre_id=None,
            )
        )
    session.commit()

    purged = retention.purge(session, PERIODS, now=now)
    session.commit()

    assert purged.audit_events == 1
    kept = session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)).all()
    assert kept == ["test.event", retention.PURGED]


def test_two_purges_at_once_delete_each_row_once(
    client: FlaskClient, engine: Engine, session: Session, world: World, now: datetime
) -> None:
    """Started together, the purges take turns: each row is deleted by exactly one of them."""
    made = [start_course(client, world, slot=slot)[1] for slot in world.intro_a]
    for course in made:
        _age(session, course["id"], ended_at=now - timedelta(days=100))
    start = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        with sessionmaker(bind=engine)() as own:
            start.wait()
            results.append(retention.purge(own, PERIODS, now=now).ended_courses)
            own.commit()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [0, len(made)]
    assert _count(session, Course) == 0
