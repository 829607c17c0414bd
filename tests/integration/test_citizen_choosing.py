"""Choosing without JavaScript: municipalities in Danish order, the soonest time, days, places."""

from __future__ import annotations

import csv
import re
import uuid
from datetime import datetime, time, timedelta
from html import unescape
from importlib.resources import files

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.core.clock import LOCAL, local_to_utc, local_today
from service.models import Booking, Centre, Course, Slot, SlotKind
from tests.support.calls import start_course
from tests.support.pages import Citizen, Page
from tests.support.world import HOME, World, add_slot

DAY = timedelta(days=1)
DANISH_DAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
DANISH_MONTHS = (
    *("januar", "februar", "marts", "april", "maj", "juni"),
    *("juli", "august", "september", "oktober", "november", "december"),
)


@pytest.fixture
def citizen(client: FlaskClient) -> Citizen:
    """Return one browser."""
    return Citizen(client)


def _places(citizen: Citizen) -> Page:
    return citizen.get(f"/book/places?municipality={HOME}")


def _courses(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(Course)) or 0
    session.rollback()
    return count


def _intro_of_only_course(session: Session) -> Slot:
    slot = session.scalars(select(Slot).join(Booking, Booking.slot_id == Slot.id)).one()
    session.rollback()
    return slot


def _in_english(citizen: Citizen) -> None:
    citizen.submit(citizen.get("/book"), "/language", {"language": "en"})


def test_municipalities_are_in_danish_alphabetical_order(citizen: Citizen, world: World) -> None:
    """All 98, Aabenraa, Aalborg and Aarhus first, the names with Æ, Ø and Å after every other."""
    bundled = files("service").joinpath("data/municipalities.csv").read_text(encoding="utf-8")
    names = {row["name"] for row in csv.DictReader(bundled.splitlines())}

    page = citizen.get("/book")

    shown = [unescape(n) for n in re.findall(r'<option value="\d{3}">([^<]+)</option>', page.html)]
    assert sorted(shown) == sorted(names)
    assert len(shown) == 98
    assert shown[:3] == ["Aabenraa", "Aalborg", "Aarhus"]
    assert shown[-1] == "Ærø"
    danish_first = [n for n in shown if n[0] in "ÆØÅ"]
    assert shown[-len(danish_first) :] == danish_first
    assert shown.index("Høje-Taastrup") < shown.index("Hørsholm") < shown.index("Ikast-Brande")


def test_places_free_equally_soon_take_turns_at_the_top(citizen: Citizen, world: World) -> None:
    """Centres A and B are free at the same minute: over many visits each is first, and offered."""
    firsts, offered = set(), set()
    for _ in range(30):
        page = _places(citizen)
        headings = re.findall(r"<h3>(Centre [AB])</h3>", page.html)
        firsts.add(headings[0])
        offered.add(page.form("/book/soonest").values["slot"])

    assert firsts == {"Centre A", "Centre B"}
    assert offered == {str(world.intro_a[0]), str(world.intro_b)}


def test_booking_the_soonest_takes_the_time_shown(
    citizen: Citizen, world: World, session: Session
) -> None:
    """One form on the places page books the first free time it offered, and shows the code."""
    places = _places(citizen)
    shown = places.form("/book/soonest").values["slot"]

    answer = citizen.submit(places, "/book/soonest", {"adult": "y"})

    assert answer.status == 200
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", answer.code())
    assert str(_intro_of_only_course(session).id) == shown
    assert "Venter på den første samtale" in citizen.get("/my").text()


def test_the_soonest_without_the_adult_confirmation_says_so_beside_it(
    citizen: Citizen, world: World, session: Session
) -> None:
    """The error sits in the check box's group, above the box and its label; nothing is booked."""
    places = _places(citizen)

    answer = citizen.submit(places, "/book/soonest", {})

    assert answer.status == 422
    group = re.search(r'<div class="field check invalid">(.*?)</div>', answer.html, re.S)
    assert group is not None
    assert re.search(
        r'<p class="field-error" id="adult-error">[^<]*18 år[^<]*</p>\s*<input[^>]*'
        r'aria-describedby="adult-error"[^>]*id="adult"[^>]*>\s*<label for="adult">',
        group.group(1),
    )
    assert _courses(session) == 0


def test_a_soonest_time_taken_meanwhile_offers_the_next_with_the_choices_kept(
    citizen: Citizen, client: FlaskClient, world: World, session: Session
) -> None:
    """Someone books the time shown first: the page says so, keeps the tick and offers the next."""
    places = _places(citizen)
    shown = places.form("/book/soonest").values["slot"]
    centre = world.centre_a if shown == str(world.intro_a[0]) else world.centre_b
    start_course(client, world, slot=uuid.UUID(shown), centre=centre)

    refused = citizen.submit(places, "/book/soonest", {"adult": "y"})
    booked = citizen.submit(refused, "/book/soonest", {})

    assert refused.status == 409
    assert "En anden har lige booket den tid" in refused.text()
    again = refused.form("/book/soonest").values
    assert again["adult"] == "y"
    assert again["slot"] not in (shown, "")
    assert booked.status == 200
    assert _courses(session) == 2


def test_the_soonest_goes_through_the_contract_rule(
    citizen: Citizen, world: World, session: Session
) -> None:
    """A forged time at a place the municipality does not work with is refused, and not booked."""
    places = _places(citizen)

    answer = citizen.submit(places, "/book/soonest", {"slot": str(world.intro_c), "adult": "y"})

    assert answer.status == 409
    assert "samarbejder ikke med det sted" in answer.text()
    assert _courses(session) == 0


def test_the_time_page_lists_days_then_the_times_of_the_chosen_day(
    citizen: Citizen, world: World, session: Session, now: datetime
) -> None:
    """The first day's times by default; a day's link shows its own times and keeps the place."""
    centre = session.get_one(Centre, world.centre_a)
    on = local_today(now) + 10 * DAY
    ten = add_slot(session, centre, SlotKind.INTRO, local_to_utc(on, time(10)))
    eleven = add_slot(session, centre, SlotKind.INTRO, local_to_utc(on, time(11)))
    session.commit()
    places = _places(citizen)
    link = next(href for href in places.links("/book/time") if str(world.centre_a) in href)

    first = citizen.get(link)
    day_link = next(href for href in first.links("/book/time") if f"day={on.isoformat()}" in href)
    chosen = citizen.get(day_link)

    assert len(first.links("/book/time")) == 5
    assert first.radio_values("slot") == [str(world.intro_a[0])]
    assert chosen.radio_values("slot") == [str(ten.id), str(eleven.id)]
    assert "10:00\u201310:45" in chosen.text()
    assert "2 ledige tider" in first.text()
    assert f"municipality={HOME}" in day_link
    assert f"centre={world.centre_a}" in day_link
    assert chosen.form("/book/time").values["day"] == on.isoformat()
    assert re.search(r'aria-current="page">[^<]+</a>', chosen.html)


@pytest.mark.parametrize("day", ["2026-13-45", "tomorrow"])
def test_a_day_that_cannot_be_read_is_refused_and_the_days_stay(
    citizen: Citizen, world: World, day: str
) -> None:
    """A malformed day gets 422, a message, and the list of days to choose from."""
    page = citizen.get(f"/book/time?municipality={HOME}&centre={world.centre_a}&day={day}")

    assert page.status == 422
    assert "Dagen kunne ikke læses" in page.text()
    assert len(page.links("/book/time")) == 4
    assert page.radio_values("slot") == []


def test_a_day_whose_times_are_gone_says_so(
    citizen: Citizen, client: FlaskClient, world: World, now: datetime
) -> None:
    """A day link followed after its last time was booked shows the other days, and why."""
    day = local_today(now + DAY).isoformat()
    start_course(client, world, slot=world.intro_a[0])

    page = citizen.get(f"/book/time?municipality={HOME}&centre={world.centre_a}&day={day}")

    assert page.status == 200
    assert "Der er ikke flere ledige tider den dag" in page.text()
    assert len(page.links("/book/time")) == 3


def test_a_place_card_shows_languages_group_times_and_the_talk_length(
    citizen: Citizen, world: World
) -> None:
    """Centre A speaks Danish and English, its group meets weekly, the talk takes 45 minutes."""
    text = _places(citizen).text()

    assert "Sprog: dansk og engelsk" in text
    assert re.search(
        r"Gruppe mødes (" + "|".join(DANISH_DAYS) + r") kl\. \d\d:\d\d\u2013\d\d:\d\d", text
    )
    assert "4 møder fra" in text
    assert "2 pladser tilbage" in text
    assert "Samtalen varer omkring 45 minutter" in text


def test_english_pages_write_dates_and_centre_texts_in_english(
    citizen: Citizen, world: World, session: Session
) -> None:
    """An English page reads "Tuesday 8 December 2026" and the centre's English texts."""
    session.execute(
        update(Centre)
        .where(Centre.id == world.centre_a)
        .values(entrance_en="Through the gate.", opening_hours_en="9 am to 5 pm")
    )
    session.commit()
    start = session.get_one(Slot, world.intro_a[0]).starts_at.astimezone(LOCAL)
    session.rollback()
    danish = _places(citizen).text()
    _in_english(citizen)

    english = _places(citizen).text()

    expected = f"{start:%A} {start.day} {start:%B} {start.year}, {start:%H:%M}"
    assert expected in english
    assert "Languages spoken: Danish and English" in english
    assert "Through the gate." in english
    assert "9 am to 5 pm" in english
    assert "meets " + f"{start + 6 * DAY:%A}" in english
    danish_day = f"{DANISH_DAYS[start.weekday()]} {start.day}. {DANISH_MONTHS[start.month - 1]}"
    assert f"{danish_day} {start.year}, {start:%H:%M}" in danish
    assert "Gennem porten." in danish
    assert not re.search("|".join(DANISH_DAYS), english)


def test_the_time_page_the_code_page_and_the_course_page_write_dates_in_english(
    citizen: Citizen, world: World, session: Session
) -> None:
    """In English the time page, the code page and /my read "Tuesday 8 December 2026, 10:00"."""
    start = session.get_one(Slot, world.intro_a[0]).starts_at.astimezone(LOCAL)
    session.rollback()
    _in_english(citizen)
    places = _places(citizen)
    link = next(href for href in places.links("/book/time") if str(world.centre_a) in href)

    times = citizen.get(link)
    code = citizen.submit(times, "/book/time", {"slot": str(world.intro_a[0]), "adult": "y"})
    mine = citizen.get("/my")

    expected = f"{start:%A} {start.day} {start:%B} {start.year}, {start:%H:%M}"
    assert f"Free times on {expected[:-7]}" in times.text()
    assert expected in code.text()
    assert expected in mine.text()


def test_the_api_lists_places_free_equally_soon_in_turn(client: FlaskClient, world: World) -> None:
    """The API's providers, like the page, put neither of two equally soon places always first."""
    firsts = {
        client.get(f"/api/v1/municipalities/{HOME}/providers").get_json()[0]["centre"]["name"]
        for _ in range(30)
    }

    assert firsts == {"Centre A", "Centre B"}
