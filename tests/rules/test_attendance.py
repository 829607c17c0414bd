"""Attendance lists follow when each place was taken: nobody is absent before joining."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import crypto
from service.booking import attendance, reservations
from service.core import errors
from service.identity.actors import Actor
from service.models import Attendance, Centre, Course, Group
from tests.rules.steps import approved_courses
from tests.support.world import World, add_group


def _late_joiner_group(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> tuple[Group, Course, Course]:
    """Return a five-meeting group, a member from the start and one who joined after meeting 3."""
    centre = session.get_one(Centre, world.centre_a)
    group = add_group(
        session, centre, first=now + timedelta(days=10), capacity=5, sessions=5, late_join_until=4
    )
    (early, late), decided = approved_courses(session, keyring, world, now=now, count=2)
    reservations.join_group(session, early.id, group.id, now=decided)
    after_third = group.sessions[2].starts_at + timedelta(hours=3)
    reservations.join_group(session, late.id, group.id, now=after_third)
    return group, early, late


def _stored(session: Session, session_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Attendance).where(Attendance.session_id == session_id)
    return session.scalar(query) or 0


def test_a_member_who_joined_after_a_meeting_is_not_on_its_list(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """Meetings 1-3 list only the member from the start; meetings 4 and 5 list both."""
    group, early, late = _late_joiner_group(session, keyring, world, now)

    lists = [
        [seat.course_id for seat in attendance.meeting_list(session, staff_a, group.id, meeting.id)]
        for meeting in group.sessions
    ]

    assert lists == [[early.id]] * 3 + [[early.id, late.id]] * 2


def test_marks_for_a_meeting_before_the_member_joined_are_refused_and_nothing_is_stored(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """Naming the late joiner for meeting 2 is refused; no absence of theirs is ever stored."""
    group, early, late = _late_joiner_group(session, keyring, world, now)
    second = group.sessions[1]
    when = group.sessions[3].starts_at + timedelta(hours=1)

    with pytest.raises(errors.NotAMember):
        attendance.record_attendance(
            session,
            staff_a,
            group.id,
            second.id,
            [attendance.Mark(early.id, True), attendance.Mark(late.id, False)],
            now=when,
        )

    assert _stored(session, second.id) == 0


def test_the_late_joiner_is_marked_from_the_first_meeting_after_joining(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """Meeting 4 takes marks for both members, and the late joiner's absence is stored there."""
    group, early, late = _late_joiner_group(session, keyring, world, now)
    fourth = group.sessions[3]

    attendance.record_attendance(
        session,
        staff_a,
        group.id,
        fourth.id,
        [attendance.Mark(early.id, True), attendance.Mark(late.id, False)],
        now=fourth.starts_at + timedelta(minutes=5),
    )

    assert attendance.marks_of(session, fourth.id) == {early.id: True, late.id: False}


def test_a_member_who_left_is_on_the_lists_before_leaving_only(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """Leaving after meeting 2 began keeps the member on meetings 1-2 and off 3-4."""
    (member, other), decided = approved_courses(session, keyring, world, now=now, count=2)
    group = session.get_one(Group, world.group_a)
    booking = reservations.join_group(session, member.id, group.id, now=decided)
    reservations.join_group(session, other.id, group.id, now=decided)

    reservations.cancel(
        session, member.id, booking.id, now=group.sessions[1].starts_at + timedelta(hours=3)
    )

    on_lists = [
        member.id
        in {s.course_id for s in attendance.meeting_list(session, staff_a, group.id, m.id)}
        for m in group.sessions
    ]
    assert on_lists == [True, True, False, False]


def test_all_attended_marks_everyone_on_the_list_present_and_each_can_change_after(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """ "Alle mødt" stores present for both members of meeting 4, and one can then be absent."""
    group, early, late = _late_joiner_group(session, keyring, world, now)
    fourth = group.sessions[3]
    when = fourth.starts_at + timedelta(minutes=5)

    attendance.record_all_present(session, staff_a, group.id, fourth.id, now=when)
    everyone = attendance.marks_of(session, fourth.id)
    attendance.record_attendance(
        session, staff_a, group.id, fourth.id, [attendance.Mark(late.id, False)], now=when
    )

    assert everyone == {early.id: True, late.id: True}
    assert attendance.marks_of(session, fourth.id) == {early.id: True, late.id: False}


def test_all_attended_before_the_meeting_begins_is_refused(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """Nothing is marked for a meeting that has not begun."""
    group, _, _ = _late_joiner_group(session, keyring, world, now)
    fifth = group.sessions[4]

    with pytest.raises(errors.AttendanceTooEarly):
        attendance.record_all_present(
            session, staff_a, group.id, fifth.id, now=fifth.starts_at - timedelta(minutes=1)
        )

    assert _stored(session, fifth.id) == 0


def test_the_history_shows_each_meeting_as_the_member_stood_at_it(
    session: Session, keyring: crypto.Keyring, world: World, staff_a: Actor, now: datetime
) -> None:
    """Not a member yet, unrecorded, attended and to come, for the late joiner and the first."""
    group, early, late = _late_joiner_group(session, keyring, world, now)
    fourth = group.sessions[3]
    attendance.record_all_present(
        session, staff_a, group.id, fourth.id, now=fourth.starts_at + timedelta(minutes=5)
    )
    before_fifth = group.sessions[4].starts_at - timedelta(hours=1)

    [late_history] = attendance.history(session, staff_a, late.id, now=before_fifth)
    [early_history] = attendance.history(session, staff_a, early.id, now=before_fifth)

    assert late_history.group_id == group.id
    assert [m.presence for m in late_history.meetings] == [
        *[attendance.Presence.NOT_YET_MEMBER] * 3,
        attendance.Presence.ATTENDED,
        attendance.Presence.COMING,
    ]
    assert [m.presence for m in early_history.meetings] == [
        *[attendance.Presence.NOT_RECORDED] * 3,
        attendance.Presence.ATTENDED,
        attendance.Presence.COMING,
    ]


def test_another_centre_reads_no_list_and_no_history(
    session: Session, keyring: crypto.Keyring, world: World, now: datetime
) -> None:
    """Centre B's staff are refused as if the group and course did not exist."""
    group, early, _ = _late_joiner_group(session, keyring, world, now)
    staff_b = Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_b)

    with pytest.raises(errors.NotFound):
        attendance.meeting_list(session, staff_b, group.id, group.sessions[0].id)
    with pytest.raises(errors.NotFound):
        attendance.history(session, staff_b, early.id, now=now)
