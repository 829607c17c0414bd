"""Staff carry a phone caller: find the course by reference, book, move, join, cancel, audited.

Every form is taken from the course page that shows it and sent as a person
fills it in (``Citizen.submit``); the refusals are the rules' own, as the
citizen meets them, worded from the staff catalogue by the field.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core import errors
from service.models import AuditEvent, Booking, BookingKind, BookingStatus
from service.staff import refusals
from tests.support.calls import approved_course, bearer, start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


@pytest.fixture
def desk(client: FlaskClient, staff: Staff) -> Citizen:
    """Return the browser of centre A's staff member, signed in."""
    sign_in(client, staff["staff_a"])
    return Citizen(client)


def _path(course: dict[str, Any]) -> str:
    return f"/staff/courses/{course['id']}"


def _live(
    reader: Session, course: dict[str, Any], kind: BookingKind
) -> tuple[uuid.UUID | None, BookingStatus] | None:
    """Return the slot and status of the course's live booking of a kind, or None."""
    found = reader.execute(
        select(Booking.slot_id, Booking.status).where(
            Booking.course_id == uuid.UUID(course["id"]),
            Booking.kind == kind,
            Booking.status.in_((BookingStatus.BOOKED, BookingStatus.WAITLISTED)),
        )
    ).one_or_none()
    reader.rollback()  # end the read, so the next one sees what was committed since
    return None if found is None else (found.slot_id, found.status)


def _actions(reader: Session, course: dict[str, Any]) -> list[tuple[str, uuid.UUID | None]]:
    """Return the audit trail's actions on the course, and who took them, oldest first."""
    found = reader.execute(
        select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.object_id == uuid.UUID(course["id"]))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    reader.rollback()
    return [(action, actor) for action, actor in found]


def _submit(desk: Citizen, course: dict[str, Any], step: str, data: dict[str, str]) -> Page:
    page = desk.get(_path(course))
    assert page.status == 200
    return desk.submit(page, f"{_path(course)}/{step}", data)


def _error(page: Page, field: str) -> str:
    """Return the text of the error shown by a field."""
    marker = f'id="{field}-error">'
    assert marker in page.html, f"no error by {field}"
    return page.html.split(marker, 1)[1].split("<", 1)[0]


def test_a_reference_read_out_finds_the_course_whatever_its_case_spaces_and_dashes(
    client: FlaskClient, reader: Session, world: World, desk: Citizen
) -> None:
    """Lower case, spaces instead of the dash: the search leads to the course page."""
    _, course = start_course(client, world)
    typed = course["reference"].lower().replace("-", " ")
    listing = desk.get("/staff/courses")

    found = desk.get(f"/staff/courses/find?reference={typed}")

    assert 'action="/staff/courses/find"' in listing.html
    assert found.status == 303
    assert found.response.headers["Location"] == _path(course)
    assert _actions(reader, course) == []  # a search is a read, as opening the page is


def test_another_centres_reference_finds_nothing_just_as_an_unknown_one(
    client: FlaskClient, world: World, desk: Citizen
) -> None:
    """A course at centre B and a reference nobody holds get the same answer."""
    _, foreign = start_course(client, world, centre=world.centre_b, slot=world.intro_b)

    other = desk.get(f"/staff/courses/find?reference={foreign['reference']}")
    unknown = desk.get("/staff/courses/find?reference=ZZZZ-ZZZZ")

    assert other.status == unknown.status == 404
    assert _error(other, "reference") == _error(unknown, "reference")
    assert _error(other, "reference") == "Intet forløb her har den reference."
    assert foreign["id"] not in other.html


def test_a_malformed_reference_is_refused_by_the_field_and_kept(desk: Citizen) -> None:
    """Seven symbols are not a reference: 422, the rule's wording, the typed text still there."""
    refused = desk.get("/staff/courses/find?reference=K7QM-4XP")

    assert refused.status == 422
    assert _error(refused, "reference") == refusals.REFUSALS[errors.ReferenceMalformed]
    assert 'value="K7QM-4XP"' in refused.html


def test_staff_move_the_intro_for_the_caller_and_the_audit_says_so(
    client: FlaskClient,
    session: Session,
    reader: Session,
    world: World,
    staff: Staff,
    desk: Citizen,
) -> None:
    """The old time is cancelled and the new one booked; the log names the course, not a token."""
    actor = staff["staff_a"].id
    token, course = start_course(client, world)

    moved = _submit(desk, course, "talks/intro", {"intro-slot": str(world.intro_a[1])})

    assert moved.status == 303
    assert _live(reader, course, BookingKind.INTRO) == (world.intro_a[1], BookingStatus.BOOKED)
    assert _actions(reader, course) == [("course.intro_moved_for_caller", actor)]
    after = desk.get(_path(course))
    assert "Den første samtale er booket." in after.text()
    sign_in(client, staff["admin_a"])
    log = Citizen(client).get("/staff/audit").text()
    assert f"Første samtale flyttet for borgeren i telefonen Forløb {course['reference']}" in log
    assert token not in log


def test_a_time_taken_by_another_meanwhile_is_refused_by_the_field(
    client: FlaskClient, session: Session, reader: Session, world: World, desk: Citizen
) -> None:
    """The citizen's refusal, in the staff's words; the booked time stays booked."""
    _, course = start_course(client, world)
    page = desk.get(_path(course))
    start_course(client, world, slot=world.intro_a[1])

    refused = desk.submit(
        page, f"{_path(course)}/talks/intro", {"intro-slot": str(world.intro_a[1])}
    )

    assert refused.status == 409
    assert _error(refused, "intro-slot") == refusals.REFUSALS[errors.SlotTaken]
    assert _live(reader, course, BookingKind.INTRO) == (world.intro_a[0], BookingStatus.BOOKED)
    assert _actions(reader, course) == []


def test_a_step_out_of_order_is_refused_and_the_choice_is_kept(
    client: FlaskClient, world: World, desk: Citizen
) -> None:
    """A requested course gets no group and no closing talk; the chosen group stays selected."""
    _, course = start_course(client, world)

    group = _submit(desk, course, "group", {"group-group": str(world.group_a)})
    closing = _submit(desk, course, "talks/closing", {"closing-slot": str(world.closing_late_a)})

    assert group.status == closing.status == 409
    assert _error(group, "group-group") == refusals.REFUSALS[errors.NotApproved]
    assert f'<option selected value="{world.group_a}">' in group.html
    assert _error(closing, "closing-slot") == refusals.REFUSALS[errors.ClosingNeedsGroup]


def test_a_form_sent_without_a_choice_says_what_is_missing(
    client: FlaskClient, world: World, desk: Citizen
) -> None:
    """No time chosen: 422 and the words by the field."""
    _, course = start_course(client, world)

    refused = _submit(desk, course, "talks/intro", {"intro-slot": ""})

    assert refused.status == 422
    assert _error(refused, "intro-slot") == "Vælg en tid."


def test_staff_give_an_approved_caller_a_place_and_a_full_group_a_waitlist_place(
    client: FlaskClient,
    session: Session,
    reader: Session,
    world: World,
    staff: Staff,
    desk: Citizen,
    now: datetime,
) -> None:
    """Two places: the first caller gets one, the third is number 1 on the waitlist, as citizens."""
    actor = staff["staff_a"].id
    _, first = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    token, second = approved_course(client, world, session, now=now, slot=world.intro_a[1])
    _, third = approved_course(client, world, session, now=now, slot=world.intro_a[2])
    joined = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
    )
    assert joined.status_code == 201

    placed = _submit(desk, first, "group", {"group-group": str(world.group_a)})
    placed_page = desk.get(_path(first))
    queued = _submit(desk, third, "group", {"group-group": str(world.group_a)})
    queued_page = desk.get(_path(third))

    assert placed.status == queued.status == 303
    assert "Forløbet har fået en plads i gruppen." in placed_page.text()
    assert "Gruppen er fuld. Forløbet er nr. 1 på ventelisten." in queued_page.text()
    assert _live(reader, third, BookingKind.GROUP) == (None, BookingStatus.WAITLISTED)
    assert _actions(reader, first)[-1] == ("course.group_joined_for_caller", actor)
    assert _actions(reader, third)[-1] == ("course.waitlisted_for_caller", actor)
    assert second["id"] not in desk.get(_path(first)).html


def test_cancelling_a_place_for_the_caller_promotes_the_waitlist(
    client: FlaskClient,
    session: Session,
    reader: Session,
    world: World,
    staff: Staff,
    desk: Citizen,
    now: datetime,
) -> None:
    """Staff cancel a booked place: the first on the waitlist gets it in the same transaction."""
    actor = staff["staff_a"].id
    courses = [
        approved_course(client, world, session, now=now, slot=slot)[1] for slot in world.intro_a[:3]
    ]
    for course in courses:
        assert _submit(desk, course, "group", {"group-group": str(world.group_a)}).status == 303

    left = _submit(desk, courses[0], "cancel", {"cancel-kind": "group"})

    assert left.status == 303
    assert _live(reader, courses[2], BookingKind.GROUP) == (None, BookingStatus.BOOKED)
    assert _actions(reader, courses[0])[-1] == ("course.group_cancelled_for_caller", actor)


def test_the_closing_talk_comes_after_the_group_for_staff_as_for_the_citizen(
    client: FlaskClient,
    session: Session,
    reader: Session,
    world: World,
    staff: Staff,
    desk: Citizen,
    now: datetime,
) -> None:
    """A time inside the group is refused by the field; one after it is booked and logged."""
    actor = staff["staff_a"].id
    _, course = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    assert _submit(desk, course, "group", {"group-group": str(world.group_a)}).status == 303

    early = _submit(desk, course, "talks/closing", {"closing-slot": str(world.closing_early_a)})
    late = _submit(desk, course, "talks/closing", {"closing-slot": str(world.closing_late_a)})

    assert early.status == 409
    assert _error(early, "closing-slot") == refusals.REFUSALS[errors.ClosingTooEarly]
    assert late.status == 303
    assert _live(reader, course, BookingKind.CLOSING) == (
        world.closing_late_a,
        BookingStatus.BOOKED,
    )
    assert _actions(reader, course)[-1] == ("course.closing_booked_for_caller", actor)


def test_a_talk_cancelled_for_the_caller_frees_its_time_and_can_be_booked_again(
    client: FlaskClient,
    session: Session,
    reader: Session,
    world: World,
    staff: Staff,
    desk: Citizen,
) -> None:
    """After the cancel another citizen can take the time, and staff book the caller a new one."""
    actor = staff["staff_a"].id
    _, course = start_course(client, world)

    cancelled = _submit(desk, course, "cancel", {"cancel-kind": "intro"})
    start_course(client, world, slot=world.intro_a[0])
    again = _submit(desk, course, "talks/intro", {"intro-slot": str(world.intro_a[2])})

    assert cancelled.status == again.status == 303
    assert _actions(reader, course) == [
        ("course.intro_cancelled_for_caller", actor),
        ("course.intro_booked_for_caller", actor),
    ]
    assert _live(reader, course, BookingKind.INTRO) == (world.intro_a[2], BookingStatus.BOOKED)


def test_cancelling_what_the_course_does_not_hold_is_refused_by_the_field(
    client: FlaskClient, world: World, desk: Citizen
) -> None:
    """No closing talk booked: the page says it cannot be cancelled, and nothing is logged."""
    _, course = start_course(client, world)

    refused = _submit(desk, course, "cancel", {"cancel-kind": "closing"})

    assert refused.status == 409
    assert _error(refused, "cancel-kind") == refusals.REFUSALS[errors.NotCancellable]


def test_an_ended_course_offers_no_steps_and_refuses_a_form_sent_from_before(
    client: FlaskClient, world: World, desk: Citizen
) -> None:
    """Once a course is closed its section is gone; a step sent from an older page is refused."""
    _, course = start_course(client, world)
    before = desk.get(_path(course))
    assert _submit(desk, course, "outcome", {"outcome": "dropped"}).status == 303

    after = desk.get(_path(course))
    late = desk.submit(
        before, f"{_path(course)}/talks/intro", {"intro-slot": str(world.intro_a[1])}
    )

    assert "For borgeren i telefonen" not in after.text()
    assert "For borgeren i telefonen" in before.text()
    assert late.status == 409
    assert refusals.REFUSALS[errors.CourseClosed] in late.text()
    assert 'role="alert"' in late.html
