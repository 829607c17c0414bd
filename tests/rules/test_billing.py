"""Billing: what each made-up course counts in each Copenhagen month, and who may see it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from service.core.errors import NotFound
from service.identity.actors import Actor
from service.models import (
    Booking,
    BookingKind,
    BookingStatus,
    Centre,
    CourseStatus,
)
from service.stats import billing
from service.stats.billing import CourseLine
from tests.support.billing import add_course, add_intro, attend, local, place
from tests.support.world import HOME, NEIGHBOUR, World, add_group


def lines_of(session: Session, world: World, month: str) -> dict[str, CourseLine]:
    """Return centre A's lines of a month by reference, over every home municipality."""
    actor = Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_a)
    return {
        line.reference: line
        for bill in billing.centre_lines(session, actor, month)
        for line in bill.lines
    }


def test_a_course_counts_in_each_month_what_happened_in_it(session: Session, world: World) -> None:
    """Intro in January, meetings over the turn of the month, completed in February."""
    centre = session.get_one(Centre, world.centre_a)
    group = add_group(session, centre, first=local(2031, 1, 30, 17), capacity=8, sessions=4)
    course = add_course(session, world.centre_a, ended_at=local(2031, 2, 25, 12))
    course.status = CourseStatus.COMPLETED
    add_intro(session, course, local(2031, 1, 28, 10))
    booking = place(session, course, group, local(2031, 1, 29, 9))
    attend(session, booking, group, [True, True, False, True])

    january = lines_of(session, world, "2031-01")[course.reference]
    february = lines_of(session, world, "2031-02")[course.reference]
    march = lines_of(session, world, "2031-03")

    assert january == CourseLine(course.reference, True, True, False, 1)
    assert february == CourseLine(course.reference, False, True, True, 2)
    assert course.reference not in march


def test_months_are_copenhagen_months(session: Session, world: World) -> None:
    """An intro at 23:30 on 31 January counts in January, one at 00:30 on 1 February in February."""
    late = add_course(session, world.centre_a, status=CourseStatus.APPROVED)
    add_intro(session, late, local(2031, 1, 31, 23, 30))
    early = add_course(session, world.centre_a, status=CourseStatus.APPROVED)
    add_intro(session, early, local(2031, 2, 1, 0, 30))

    january = lines_of(session, world, "2031-01")
    february = lines_of(session, world, "2031-02")

    assert january[late.reference].started
    assert late.reference not in february
    assert february[early.reference].started
    assert early.reference not in january


def test_only_held_intros_and_places_held_at_a_meeting_count(
    session: Session, world: World
) -> None:
    """A no-show, a late joiner before placing, a left place and a waitlist count for nothing."""
    centre = session.get_one(Centre, world.centre_a)
    group = add_group(session, centre, first=local(2031, 1, 27, 17), capacity=8, sessions=2)
    no_show = add_course(session, world.centre_a, status=CourseStatus.REQUESTED)
    add_intro(session, no_show, local(2031, 1, 10, 10), BookingStatus.NO_SHOW)
    late_joiner = add_course(session, world.centre_a)
    place(session, late_joiner, group, local(2031, 1, 29, 9))
    left = add_course(session, world.centre_a)
    place(session, left, group, local(2031, 1, 5, 9), cancelled_at=local(2031, 1, 20, 9))
    waiting = add_course(session, world.centre_a, status=CourseStatus.APPROVED)
    session.add(
        Booking(
            course_id=waiting.id,
            kind=BookingKind.GROUP,
            group_id=group.id,
            status=BookingStatus.WAITLISTED,
            queue_no=1,
            created_at=local(2031, 1, 5, 9),
        )
    )

    january = lines_of(session, world, "2031-01")
    february = lines_of(session, world, "2031-02")

    assert not {no_show.reference, late_joiner.reference, left.reference} & january.keys()
    assert waiting.reference not in january
    assert waiting.reference not in february
    assert february[late_joiner.reference] == CourseLine(
        late_joiner.reference, False, True, False, 0
    )


def test_a_centre_sees_its_own_courses_by_home_municipality(session: Session, world: World) -> None:
    """Centre A's bill groups its courses by home municipality; centre B's are not on it."""
    ours = [add_course(session, world.centre_a, home=home) for home in (HOME, NEIGHBOUR)]
    theirs = add_course(session, world.centre_b)
    for course in [*ours, theirs]:
        add_intro(session, course, local(2031, 3, 3, 10))
    actor = Actor(kind="staff", id=uuid.uuid4(), centre_id=world.centre_a)

    bills = billing.centre_lines(session, actor, "2031-03")

    assert [(bill.code, bill.name) for bill in bills] == [
        (HOME, "København"),
        (NEIGHBOUR, "Frederiksberg"),
    ]
    assert [[line.reference for line in bill.lines] for bill in bills] == [
        [ours[0].reference],
        [ours[1].reference],
    ]
    assert bills[0].totals == {"started": 1, "running": 0, "completed": 0, "meetings": 0}


def test_a_municipality_sees_counts_with_small_ones_suppressed(
    session: Session, world: World
) -> None:
    """Six intros at centre A are shown; two at centre B are "<5" and the total cannot give them."""
    for centre, many in ((world.centre_a, 6), (world.centre_b, 2)):
        for n in range(many):
            course = add_course(session, centre, status=CourseStatus.APPROVED)
            add_intro(session, course, local(2031, 4, 7, 9 + n))
    coordinator = Actor(kind="staff", id=uuid.uuid4(), municipality_code=HOME)

    bill = billing.municipality_counts(session, coordinator, "2031-04", home=HOME)

    started = {row.name: row.cells["started"] for row in bill.centres}
    assert started["Centre B"] == "<5"
    assert started["Centre C"] == 0
    # Were centre A's 6 and the total of 8 both shown, centre B's 2 would follow.
    assert "x" in (started["Centre A"], bill.total["started"])
    assert bill.name == "København"
    assert not any(
        str(cell).isdigit() and 0 < int(cell) < 5
        for row in bill.centres
        for cell in row.cells.values()
    )


def test_a_municipality_sees_counts_of_five_and_more(session: Session, world: World) -> None:
    """Counts of five and more with nothing small beside them are shown exactly."""
    centre = session.get_one(Centre, world.centre_a)
    group = add_group(session, centre, first=local(2031, 5, 6, 17), capacity=8, sessions=2)
    for _ in range(5):
        course = add_course(session, world.centre_a)
        attend(session, place(session, course, group, local(2031, 5, 1, 9)), group, [True, True])
    coordinator = Actor(kind="staff", id=uuid.uuid4(), municipality_code=HOME)

    bill = billing.municipality_counts(session, coordinator, "2031-05", home=HOME)

    centre_a = next(row for row in bill.centres if row.centre_id == str(world.centre_a))
    assert centre_a.cells == {"started": 0, "running": 5, "completed": 0, "meetings": 10}
    assert bill.total == centre_a.cells


@pytest.mark.parametrize(
    ("actor", "home"),
    [
        (Actor(kind="staff", id=None, municipality_code=HOME), NEIGHBOUR),
        (Actor(kind="staff", id=None, municipality_code=HOME), "000"),
        (Actor(kind="staff", id=None, centre_id=uuid.uuid4()), HOME),
    ],
    ids=["another municipality", "unknown code", "a centre"],
)
def test_counts_out_of_reach_are_refused_as_missing(
    session: Session, world: World, actor: Actor, home: str
) -> None:
    """A coordinator reaches only its own municipality's counts; a centre has lines, not counts."""
    with pytest.raises(NotFound):
        billing.municipality_counts(session, actor, "2031-01", home=home)


def test_only_a_centre_has_lines(session: Session, world: World) -> None:
    """A coordinator or an administrator asking for a centre's lines is refused as missing."""
    for actor in (
        Actor(kind="staff", id=None, municipality_code=HOME),
        Actor(kind="staff", id=None),
    ):
        with pytest.raises(NotFound):
            billing.centre_lines(session, actor, "2031-01")


def test_an_administrator_reaches_any_municipality(session: Session, world: World) -> None:
    """An administrator's counts name the municipality asked for."""
    admin = Actor(kind="staff", id=uuid.uuid4())

    bill = billing.municipality_counts(session, admin, "2031-01", home=NEIGHBOUR)

    assert (bill.code, bill.name) == (NEIGHBOUR, "Frederiksberg")


def test_the_chooser_offers_the_months_that_are_over() -> None:
    """On 7 January 2031 the last month over is December 2030, and a year back is offered."""
    months = billing.months_to_bill(local(2031, 1, 7, 12))

    assert months[0] == "2030-12"
    assert months[-1] == "2030-01"
    assert len(months) == billing.MONTHS_OFFERED
