"""The steps a course may take next: one answer for the page and for the rules' refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

import crypto
from service.booking import reservations
from service.booking.steps import Step, next_steps
from service.core import errors
from service.models import Group
from tests.rules.steps import approved_courses
from tests.support.world import World


def test_a_group_cannot_be_left_once_its_last_meeting_has_begun(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Leaving is offered while meetings are to come; after the last one begins it is refused."""
    (course,), when = approved_courses(session, keyring, world, now=now, count=1)
    place = reservations.join_group(session, course.id, world.group_a, now=when)
    last = session.get_one(Group, world.group_a).sessions[-1].starts_at
    after = last + timedelta(minutes=1)

    before_end = next_steps(session, course, now=when)
    at_end = next_steps(session, course, now=after)

    assert Step.LEAVE_GROUP in before_end.allowed
    assert Step.LEAVE_GROUP not in at_end.allowed
    with pytest.raises(errors.NotCancellable):
        reservations.cancel(session, course.id, place.id, now=after)


def test_the_closing_talk_may_start_after_the_group_or_after_leaving_it(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """In a group the closing talk comes after its last meeting; after leaving, at any time."""
    (course,), when = approved_courses(session, keyring, world, now=now, count=1)
    place = reservations.join_group(session, course.id, world.group_a, now=when)
    group_end = session.get_one(Group, world.group_a).sessions[-1].ends_at

    in_group = next_steps(session, course, now=when).closing_from
    reservations.cancel(session, course.id, place.id, now=when)
    left = next_steps(session, course, now=when)

    assert in_group == group_end
    assert left.closing_from is not None
    assert left.closing_from <= when + timedelta(minutes=1)
    assert {Step.BOOK_CLOSING, Step.JOIN_GROUP} <= left.allowed
