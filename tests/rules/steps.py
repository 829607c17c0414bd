"""Steps of a citizen's pathway taken through the rules, for arranging a test."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, reservations
from service.identity.actors import Actor
from service.models import Booking, Centre, Course, Slot, SlotKind
from tests.support.world import HOME, World, add_slot

# How long after its intro talk began a course is decided in these tests.
DECIDED_AFTER = timedelta(hours=1)


def request_course(
    session: Session,
    keyring: crypto.Keyring,
    world: World,
    *,
    now: datetime,
    slot: uuid.UUID | None = None,
    home: str = HOME,
) -> Course:
    """Create a course at centre A with its intro booked, through the rule."""
    _, course = pathway.create_course(
        session,
        keyring,
        home_municipality=home,
        centre_id=world.centre_a,
        intro_slot_id=slot or world.intro_a[0],
        language="da",
        now=now,
    )
    return course


def decide(
    session: Session,
    world: World,
    course: Course,
    decision: pathway.Decision = pathway.Decision.APPROVED,
) -> datetime:
    """Decide a course an hour after its intro talk began; return that instant."""
    [intro] = course.bookings
    assert intro.slot_id is not None
    decided = session.get_one(Slot, intro.slot_id).starts_at + DECIDED_AFTER
    staff = Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_a)
    pathway.decide(session, staff, course.id, decision, now=decided)
    return decided


def approved_courses(
    session: Session, keyring: crypto.Keyring, world: World, *, now: datetime, count: int
) -> tuple[list[Course], datetime]:
    """Create and approve ``count`` courses at centre A, each on an intro slot of its own.

    The instant returned lies after every intro talk and before the groups' first sessions.
    """
    centre = session.get_one(Centre, world.centre_a)
    slots = [
        add_slot(session, centre, SlotKind.INTRO, now + timedelta(days=1, hours=n)).id
        for n in range(count)
    ]
    courses = [request_course(session, keyring, world, now=now, slot=slot) for slot in slots]
    decided = [decide(session, world, course) for course in courses]
    return courses, max(decided)


def book_slot(
    session: Session, course_id: uuid.UUID, slot_id: uuid.UUID, *, now: datetime
) -> Booking:
    """Book an intro or closing talk through the rule, which locks the course itself."""
    return reservations.book_slot(session, course_id, slot_id, now=now)
