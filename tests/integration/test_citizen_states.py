"""Every state of a course on /my offers the steps the rules allow, and no step they refuse.

For each state, the page's offered steps are read from its links and forms
as a browser sees them; each offered step is then taken from the page, on
a course built afresh in that state, and succeeds; each step not offered
is forged with the page's CSRF token and is refused, changing nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.booking.steps import Step
from service.models import Booking, BookingKind, Group, Slot
from service.web.common import when
from tests.support.course_states import Builder, Built
from tests.support.pages import Citizen, Page
from tests.support.world import World

# What each state offers: the README's promises, written out.
OFFERED: dict[str, set[Step]] = {
    "requested": {Step.MOVE_INTRO, Step.CANCEL_INTRO},
    "intro_cancelled": {Step.BOOK_INTRO},
    "intro_held": set(),
    "intro_missed": {Step.BOOK_INTRO},
    "never_came": set(),
    "approved": {Step.JOIN_GROUP},
    "referred": set(),
    "waitlisted": {Step.LEAVE_WAITLIST},
    "promoted": {Step.LEAVE_GROUP, Step.BOOK_CLOSING},
    "active": {Step.LEAVE_GROUP, Step.BOOK_CLOSING},
    "closing_booked": {Step.LEAVE_GROUP, Step.MOVE_CLOSING, Step.CANCEL_CLOSING},
    "left_group": {Step.JOIN_GROUP, Step.BOOK_CLOSING},
    "completed": set(),
    "dropped": set(),
    "ended_before_a_group": set(),
}
TALKS = {
    "intro": (Step.BOOK_INTRO, Step.MOVE_INTRO),
    "closing": (Step.BOOK_CLOSING, Step.MOVE_CLOSING),
}
CANCEL_BY_KIND = {
    ("intro", "booked"): Step.CANCEL_INTRO,
    ("closing", "booked"): Step.CANCEL_CLOSING,
    ("group", "booked"): Step.LEAVE_GROUP,
    ("group", "waitlisted"): Step.LEAVE_WAITLIST,
}


@pytest.fixture
def builder(app: Flask, session: Session, world: World, now: datetime) -> Builder:
    """Return a builder of course states on the test's app."""
    return Builder(app, session, world, now)


def _signed_in(app: Flask, built: Built) -> Citizen:
    citizen = Citizen(app.test_client())
    signed_in = citizen.post("/code", {"code": built.token}, csrf=citizen.get("/code").csrf())
    assert signed_in.status == 303
    return citizen


@dataclass(frozen=True)
class Held:
    """A booking as read at one moment."""

    id: str
    kind: str
    status: str


def _bookings(session: Session, built: Built) -> dict[str, Held]:
    rows = session.scalars(
        select(Booking).where(Booking.course_id == uuid.UUID(built.course_id))
    ).all()
    found = {str(b.id): Held(str(b.id), b.kind.value, b.status.value) for b in rows}
    session.rollback()  # end the read, so SQLite's next writer need not wait for it
    return found


def _offered(page: Page, bookings: dict[str, Held]) -> dict[Step, str]:
    """Return the steps the page offers, each with the address a person follows or posts to."""
    listed = page.html.split('<ul class="bookings">', 1)[1].split("</ul>", 1)[0]
    offered: dict[Step, str] = {}
    for kind, (book, move) in TALKS.items():
        path = f"/my/time/{kind}"
        if f'href="{path}"' in listed:
            offered[move] = path
        elif f'href="{path}"' in page.html:
            offered[book] = path
    for booking_id in re.findall(r'href="/my/bookings/([0-9a-f-]{36})/cancel"', page.html):
        booking = bookings[booking_id]
        step = CANCEL_BY_KIND[(booking.kind, booking.status)]
        offered[step] = f"/my/bookings/{booking_id}/cancel"
    for group_id in re.findall(r'action="/my/groups/([0-9a-f-]{36})"', page.html):
        offered[Step.JOIN_GROUP] = f"/my/groups/{group_id}"
    return offered


def _take(citizen: Citizen, step: Step, address: str) -> Page:
    """Take an offered step as a person does: choose a time, confirm, or press the button."""
    if address.startswith("/my/time/"):
        times = citizen.get(address)
        return citizen.submit(times, address, {"slot": times.radio_values("slot")[0]})
    if address.endswith("/cancel"):
        return citizen.submit(citizen.get(address), address, {})
    return citizen.submit(citizen.get("/my"), address, {})


def _live(bookings: dict[str, Held]) -> set[Held]:
    """Return the bookings that hold a time or a place, or wait for one."""
    return {b for b in bookings.values() if b.status in ("booked", "waitlisted")}


@pytest.mark.parametrize("state", sorted(OFFERED))
def test_each_step_the_page_offers_is_one_the_rules_allow(
    app: Flask, session: Session, builder: Builder, state: str
) -> None:
    """The page offers the state's steps; taken from the page, each of them succeeds."""
    built = builder.state(state)
    citizen = _signed_in(app, built)
    offered = _offered(citizen.get("/my"), _bookings(session, built))

    assert set(offered) == OFFERED[state]
    for step in sorted(offered):
        again = builder.state(state)
        fresh = _signed_in(app, again)
        address = _offered(fresh.get("/my"), _bookings(session, again))[step]
        before = _bookings(session, again)

        taken = _take(fresh, step, address)

        assert (step, taken.status, taken.response.location) == (step, 303, "/my")
        assert _live(_bookings(session, again)) != _live(before)


def _forgeries(builder: Builder, built: Built, offered: set[Step]) -> dict[str, dict[str, str]]:
    """Return each address a refused step would post to, with what a forged form would send."""
    forged: dict[str, dict[str, str]] = {}
    if not offered & {Step.BOOK_INTRO, Step.MOVE_INTRO}:
        forged["/my/time/intro"] = {"slot": str(builder.intro_slot())}
    if not offered & {Step.BOOK_CLOSING, Step.MOVE_CLOSING}:
        group = builder.group(capacity=5)
        forged["/my/time/closing"] = {"slot": str(builder.closing[group])}
    if Step.JOIN_GROUP not in offered:
        forged[f"/my/groups/{builder.group(capacity=5)}"] = {}
    return forged


@pytest.mark.parametrize("state", sorted(OFFERED))
def test_each_step_the_page_does_not_offer_is_refused_if_forged(
    app: Flask, session: Session, builder: Builder, state: str
) -> None:
    """A forged form for a step the page leaves out is refused and changes nothing."""
    built = builder.state(state)
    citizen = _signed_in(app, built)
    page = citizen.get("/my")
    bookings = _bookings(session, built)
    offered = _offered(page, bookings)
    cancellable = {address.split("/")[3] for address in offered.values() if "/cancel" in address}
    forged = _forgeries(builder, built, set(offered))
    for booking_id in set(bookings) - cancellable:
        forged[f"/my/bookings/{booking_id}/cancel"] = {"confirmed": "yes"}

    answers = {
        address: citizen.post(address, data, csrf=page.csrf()) for address, data in forged.items()
    }
    asked = [citizen.get(address) for address in forged if "/time/" in address]

    assert forged, "every state leaves some step out"
    assert {address: answer.status for address, answer in answers.items()} == dict.fromkeys(
        forged, 409
    )
    assert [answer.status for answer in asked] == [409] * len(asked)
    assert _bookings(session, built).keys() == bookings.keys()
    assert _live(_bookings(session, built)) == _live(bookings)


def test_an_erased_course_has_no_page_and_its_code_is_refused(app: Flask, builder: Builder) -> None:
    """After erasing, /my sends to the code page and the code finds nothing."""
    built = builder.erased()
    citizen = Citizen(app.test_client())

    signed_in = citizen.post("/code", {"code": built.token}, csrf=citizen.get("/code").csrf())
    page = citizen.get("/my")

    assert signed_in.status == 422
    assert (page.status, page.response.location) == (303, "/code")


def test_the_closing_talk_offers_only_times_after_the_group(
    app: Flask, session: Session, builder: Builder, world: World
) -> None:
    """The early closing time inside the group is not among the choices; the later one is."""
    built = builder.active()
    citizen = _signed_in(app, built)

    times = citizen.get("/my/time/closing").radio_values("slot")

    assert str(builder.closing[built.group_id]) in times
    assert str(world.closing_early_a) not in times
    assert str(world.closing_late_a) in times


def test_cancelling_asks_first_and_one_tap_cancels_nothing(
    app: Flask, session: Session, builder: Builder
) -> None:
    """/my only links to a confirmation page; a post without its answer shows that page again."""
    built = builder.requested()
    citizen = _signed_in(app, built)
    (intro,) = _bookings(session, built)
    address = f"/my/bookings/{intro}/cancel"
    page = citizen.get("/my")

    one_tap = citizen.post(address, {}, csrf=page.csrf())
    asked = citizen.get(address)

    assert [action for action in _post_forms(page) if action.endswith("/cancel")] == []
    assert (one_tap.status, one_tap.response.location) == (303, address)
    assert {(b.kind, b.status) for b in _live(_bookings(session, built))} == {("intro", "booked")}
    assert "ny tid" in asked.text()
    assert asked.form(address).values["confirmed"] == "yes"


def _post_forms(page: Page) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', page.html)


def test_leaving_a_full_group_says_the_waitlist_gets_the_place(
    app: Flask, session: Session, builder: Builder
) -> None:
    """The confirmation says the first on the waitlist takes the place at once; it then does."""
    waiting = builder.waitlisted()
    member = _signed_in(app, Built(waiting.others[0], ""))
    address = f"/my/bookings/{_group_booking(app, waiting.others[0])}/cancel"

    asked = member.get(address)
    left = member.submit(asked, address, {})

    assert "går med det samme til den første på gruppens venteliste" in asked.text()
    assert left.status == 303
    assert ("group", "booked") in {(b.kind, b.status) for b in _live(_bookings(session, waiting))}


def _group_booking(app: Flask, token: str) -> str:
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    (group,) = [b["id"] for b in me.get_json()["bookings"] if b["kind"] == "group"]
    return str(group)


def test_a_place_from_the_waitlist_is_announced_once(
    app: Flask, session: Session, builder: Builder
) -> None:
    """Signing in after the promotion says "Du har fået en plads i"; the next look does not."""
    built = builder.promoted()

    citizen = _signed_in(app, built)
    first = citizen.get("/my")
    second = citizen.get("/my")

    assert "Du har fået en plads i Gruppe" in first.text()
    assert "Du har fået en plads i" not in second.text()
    assert not session.scalar(
        select(func.count()).where(
            Booking.course_id == uuid.UUID(built.course_id), Booking.place_news.is_(True)
        )
    )


def test_a_place_granted_while_signed_in_shows_until_put_away(
    app: Flask, session: Session, builder: Builder
) -> None:
    """Already signed in, the citizen sees the news on /my until "OK" puts it away."""
    built = builder.waitlisted()
    citizen = _signed_in(app, built)
    member = Built(built.others[0], "")
    builder._cancel_live(member, BookingKind.GROUP)

    shown = citizen.get("/my")
    put_away = citizen.submit(shown, "/my/news", {})
    after = citizen.get("/my")

    assert "Du har fået en plads i Gruppe" in shown.text()
    assert put_away.status == 303
    assert "Du har fået en plads i" not in after.text()


def test_what_happens_next_before_the_first_talk(app: Flask, builder: Builder) -> None:
    """Length, no ID, a companion, the reference at the door, and the centre's next group."""
    built = builder.requested()
    builder.group(capacity=5)
    citizen = _signed_in(app, built)

    text = citizen.get("/my").text()

    assert "varer omkring 45 minutter" in text
    assert "legitimation" in text
    assert "tage en, du har tillid til, med" in text
    assert "Stedets næste gruppe starter" in text
    assert re.search(r"reference [0-9A-Z]{4}-[0-9A-Z]{4}", text)


def test_what_happens_next_in_a_group_names_the_next_meeting_not_a_past_one(
    app: Flask, session: Session, builder: Builder, now: datetime
) -> None:
    """In a group, the page names its weekday and time and the next meeting to come."""
    built = builder.active()
    citizen = _signed_in(app, built)

    text = citizen.get("/my").text()

    assert "mødes hver" in text
    assert "4 gange i alt" in text
    assert "Dit næste møde:" in text


def test_the_page_right_after_booking_says_what_happens_next(app: Flask, world: World) -> None:
    """The code page, the answer to the booking, says how long the talk is and what to bring."""
    citizen = Citizen(app.test_client())
    places = citizen.get("/book/places?municipality=101")
    link = next(href for href in places.links("/book/time") if str(world.centre_a) in href)
    times = citizen.get(link)

    booked = citizen.submit(
        times, "/book/time", {"slot": times.radio_values("slot")[0], "adult": "y"}
    )

    assert booked.status == 200
    assert "Hvad sker der nu" in booked.text()
    assert "varer omkring 45 minutter" in booked.text()
    assert "Du skal ikke have legitimation med" in booked.text()


def test_without_a_closing_time_after_the_group_the_page_says_so_instead(
    app: Flask, session: Session, builder: Builder, world: World
) -> None:
    """No free closing time after the group: no link to an empty list, a line saying why."""
    built = builder.active()
    later = [builder.closing[built.group_id], world.closing_late_a]
    session.execute(delete(Slot).where(Slot.id.in_(later)))
    session.commit()
    citizen = _signed_in(app, built)

    page = citizen.get("/my")

    assert "/my/time/closing" not in page.html
    assert "Stedet har endnu ingen ledig tid til den afsluttende samtale" in page.text()


def test_the_next_meeting_named_is_never_one_in_the_past(
    app: Flask, session: Session, builder: Builder, now: datetime
) -> None:
    """Once the first meeting has passed, the page names the second as the next one."""
    built = builder.active()
    first, second = session.get_one(Group, built.group_id).sessions[:2]
    first.starts_at, first.ends_at = now - timedelta(hours=3), now - timedelta(hours=1)
    session.commit()
    with app.test_request_context():
        past, coming = when(first.starts_at), when(second.starts_at)
    citizen = _signed_in(app, built)

    text = citizen.get("/my").text()

    assert f"Dit næste møde: {coming}." in text
    assert f"Dit næste møde: {past}." not in text
