"""The course reference a citizen gives on the phone: on the card, in the code file, on the page."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Course
from tests.support.pages import Citizen, Page
from tests.support.world import HOME, World

SAID = {
    "da": ("Reference, hvis du ringer: {}", "Oplys referencen, hvis du ringer til stedet"),
    "en": ("Reference for phone calls: {}", "Give this reference if you phone the centre"),
}


def _book(citizen: Citizen, world: World) -> Page:
    """Book the first free intro at centre A through the pages; return the card."""
    places = citizen.get(f"/book/places?municipality={HOME}")
    link = next(href for href in places.links("/book/time") if str(world.centre_a) in href)
    times = citizen.get(link)
    slot = times.radio_values("slot")[0]
    return citizen.submit(times, "/book/time", {"slot": slot, "adult": "y"})


def _reference(session: Session) -> str:
    found = session.scalars(select(Course.reference)).one()
    session.rollback()  # end the read, so SQLite's next writer need not wait for it
    return found


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_reference_is_on_the_card_the_code_file_and_the_course_page(
    client: FlaskClient, session: Session, world: World, language: str
) -> None:
    """In either language the citizen reads the reference and that they may give it on the phone."""
    citizen = Citizen(client)
    landing = citizen.get("/")
    citizen.submit(landing, "/language", {"language": language})
    line, hint = SAID[language]

    card = _book(citizen, world)
    reference = _reference(session)
    download = citizen.submit(card, "/code.txt", {})
    course = citizen.get("/my")

    assert card.status == 200
    for shown in (card.text(), download.html, course.text()):
        assert line.format(reference) in shown
        assert hint in shown
    assert re.search(r'id="card".*' + re.escape(reference), card.html, re.DOTALL)
