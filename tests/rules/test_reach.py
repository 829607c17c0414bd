"""The rules check reach with the Actor they are given: another centre's objects look missing."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.booking import pathway, schedule
from service.core import errors
from service.identity.actors import Actor
from service.models import AuditEvent, Course, CourseStatus, Group
from tests.rules.steps import request_course
from tests.support.world import World


@pytest.fixture
def staff_b(world: World) -> Actor:
    """Return a staff member of centre B."""
    return Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_b)


def test_staff_of_another_centre_cannot_decide_a_course(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime, staff_b: Actor
) -> None:
    """Centre B's staff deciding centre A's course meet NotFound; nothing changes or is audited."""
    course = request_course(session, keyring, world, now=now)

    with pytest.raises(errors.NotFound):
        pathway.decide(session, staff_b, course.id, pathway.Decision.APPROVED, now=now)

    assert session.get_one(Course, course.id).status is CourseStatus.REQUESTED
    assert session.scalars(select(AuditEvent)).all() == []


def test_staff_of_another_centre_cannot_change_a_group(
    session: Session, world: World, now: datetime, staff_b: Actor
) -> None:
    """Centre B's staff changing centre A's group meet NotFound; the group is as it was."""

    with pytest.raises(errors.NotFound):
        schedule.update_group(
            session, staff_b, world.group_a, capacity=9, intake_open=None, now=now
        )

    session.expire_all()
    assert session.get_one(Group, world.group_a).capacity == 2


def test_staff_of_the_centre_decide_and_the_decision_is_audited(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime, staff_a: Actor
) -> None:
    """Centre A's staff decide centre A's course after its intro, and the audit names them."""
    course = request_course(session, keyring, world, now=now)
    [intro] = course.bookings
    assert intro.slot is not None
    after_intro = intro.slot.starts_at

    decided = pathway.decide(
        session, staff_a, course.id, pathway.Decision.APPROVED, now=after_intro
    )

    assert decided.status is CourseStatus.APPROVED
    events = session.scalars(select(AuditEvent)).all()
    assert [(e.actor_id, e.action, e.object_id) for e in events] == [
        (staff_a.id, "course.approved", course.id)
    ]
