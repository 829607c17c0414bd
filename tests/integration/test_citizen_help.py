"""Help when it is needed: the help box, the centre's phone, quick exit, the code page, the card."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import crypto
from service import config, create_app
from service.db import engine_of
from service.models import Centre, Course
from service.privacy_audit import scan_database
from tests.conftest import app_config
from tests.support import databases
from tests.support.calls import bearer, start_course
from tests.support.pages import Citizen, Page
from tests.support.staff import Staff, make_staff, sign_in, submit
from tests.support.world import HOME, World, add_api_key

# A made-up switchboard number in the range the Danish numbering plan gives to
# fixed lines; it is the tests' own, like the centres' addresses.
CENTRE_PHONE = "33 12 34 56"


@pytest.fixture
def citizen(client: FlaskClient) -> Citizen:
    """Return one browser."""
    return Citizen(client)


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def _help_box(page: Page) -> str:
    """Return the visible text of the page's help box."""
    found = re.search(r'<aside class="help".*?</aside>', page.html, re.DOTALL)
    assert found, f"no help box on the page ({page.status})"
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group())).split())


def _time_page(citizen: Citizen, world: World) -> Page:
    places = citizen.get(f"/book/places?municipality={HOME}")
    link = next(href for href in places.links("/book/time") if str(world.centre_a) in href)
    return citizen.get(link)


def _token_page(citizen: Citizen, world: World) -> Page:
    times = _time_page(citizen, world)
    return citizen.submit(
        times, "/book/time", {"slot": times.radio_values("slot")[0], "adult": "y"}
    )


def _signed_in(citizen: Citizen, client: FlaskClient, world: World) -> Page:
    token, _ = start_course(client, world)
    answer = citizen.submit(citizen.get("/code"), "/code", {"code": token})
    assert answer.status == 303
    return citizen.get("/my")


def _give_phone(session: Session, world: World) -> None:
    session.execute(update(Centre).where(Centre.id == world.centre_a).values(phone=CENTRE_PHONE))
    session.commit()


# The help box


def test_the_help_box_is_on_the_landing_page_the_booking_steps_and_my_page(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """112, Livslinien with its number and netstof.dk, each a link, on every step of the way."""
    pages = [
        citizen.get("/"),
        citizen.get("/book"),
        citizen.get(f"/book/places?municipality={HOME}"),
        _time_page(citizen, world),
        _signed_in(citizen, client, world),
    ]

    for page in pages:
        assert page.status == 200
        text = _help_box(page)
        assert "Brug for hjælp nu?" in text
        assert "Er et liv i fare, så ring 112." in text
        assert "Livslinien, 70 201 201" in text
        assert "Netstof.dk" in text
        for link in ('href="tel:112"', 'href="tel:70201201"', 'href="https://netstof.dk/"'):
            assert link in page.html


def test_the_help_box_is_in_english_on_the_english_pages(citizen: Citizen) -> None:
    """The words around the lines follow the citizen's language."""
    citizen.submit(citizen.get("/"), "/language", {"language": "en"})

    text = _help_box(citizen.get("/"))

    assert "Need help now? If a life is in danger, call 112." in text
    assert "suicide" in text


def test_staff_pages_have_no_help_box_and_no_quick_exit(client: FlaskClient) -> None:
    """The box and the exit are for citizens; the staff's pages are a workplace."""
    login = Citizen(client).get("/staff/login")

    assert login.status == 200
    assert 'class="help"' not in login.html
    assert "quick-exit" not in login.html


@pytest.fixture
def configured(database_url: str) -> Iterator[Flask]:
    """Yield an app whose help lines and quick exit are set as an operator sets them."""
    environ = {
        "DISKRET_HELP_EMERGENCY_PHONE": "113",
        "DISKRET_HELP_SUICIDE_LINE": "Linjen | 70 00 00 01 | https://linjen.example/",
        "DISKRET_HELP_DRUGS_LINE": "",
        "DISKRET_QUICK_EXIT_URL": "https://neutral.example/news",
    }
    settings = {
        k: v for k, v in config.from_environ(environ).items() if k.startswith(("HELP", "QUICK"))
    }
    app = create_app(app_config(database_url, **settings))
    yield app
    engine = engine_of(app)
    databases.empty_all_tables(engine)
    engine.dispose()


def test_configured_help_lines_and_quick_exit_show(configured: Flask) -> None:
    """The operator's numbers and addresses replace the defaults; an empty line is left out."""
    page = Citizen(configured.test_client()).get("/")

    text = _help_box(page)
    assert "ring 113" in text
    assert "Linjen, 70 00 00 01" in text
    assert 'href="tel:70000001"' in page.html
    assert 'href="https://linjen.example/"' in page.html
    assert "Livslinien" not in text
    assert "Netstof" not in text
    assert 'href="https://neutral.example/news"' in page.html


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QUICK_EXIT_URL", "http://www.dr.dk/"),
        ("QUICK_EXIT_URL", "javascript:alert(1)"),
        ("HELP_EMERGENCY_PHONE", "ring 112"),
        ("HELP_SUICIDE_LINE", "Livslinien | 70 201 201"),
        ("HELP_SUICIDE_LINE", "Livslinien | | "),
        ("HELP_DRUGS_LINE", "Netstof | ring os | https://netstof.dk/"),
        ("HELP_DRUGS_LINE", "Netstof | | http://netstof.dk/"),
    ],
)
def test_a_bad_help_setting_stops_the_start_with_its_name(name: str, value: str) -> None:
    """An address that is not https, a number of words, a line with neither, is refused."""
    with pytest.raises(config.ConfigError, match=f"DISKRET_{name} is not valid"):
        config.from_environ({f"DISKRET_{name}": value})


# The centre's phone number


def test_staff_enter_a_centres_phone_and_citizens_see_it_on_the_card_and_in_the_help_box(
    client: FlaskClient, session: Session, world: World, staff: Staff
) -> None:
    """Typed as +45 and one block, it is kept in national format and shown where centre A is."""
    admin = Citizen(client)
    sign_in(client, staff["admin"])
    path = f"/staff/centres/{world.centre_a}"

    saved = submit(client, path, path, {"phone": "+45 33123456"})
    places = admin.get(f"/book/places?municipality={HOME}")
    times = _time_page(admin, world)

    assert saved.status == 303
    assert session.scalars(select(Centre.phone).where(Centre.id == world.centre_a)).one() == (
        CENTRE_PHONE
    )
    card = re.search(r'<li class="place">\s*<h3>Centre A</h3>.*?</li>', places.html, re.DOTALL)
    assert card
    assert f'<a href="tel:+4533123456">{CENTRE_PHONE}</a>' in card.group()
    assert f"Centre A, {CENTRE_PHONE}" in _help_box(times)


def test_my_page_shows_the_own_centres_phone_in_the_help_box(
    citizen: Citizen, client: FlaskClient, session: Session, world: World
) -> None:
    """/my names the citizen's centre and its number among the lines for help."""
    _give_phone(session, world)

    page = _signed_in(citizen, client, world)

    assert f"Centre A, {CENTRE_PHONE}: stedet, du har valgt" in _help_box(page)


def test_without_a_phone_the_help_box_names_no_centre(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """A centre without a number adds no line, and no empty link."""
    page = _signed_in(citizen, client, world)

    assert "Centre A" not in _help_box(page)
    assert 'href="tel:+45"' not in page.html


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1234", "dansk telefonnummer med 8 cifre"),
        ("+46 8 123 456 78", "dansk telefonnummer med 8 cifre"),
        ("ring på døren", "dansk telefonnummer med 8 cifre"),
        ("010190-1234", "ligner et CPR-nummer"),
    ],
)
def test_a_phone_that_is_not_a_danish_number_is_refused_and_nothing_changes(
    client: FlaskClient, session: Session, world: World, staff: Staff, value: str, message: str
) -> None:
    """Too short, foreign, words or a CPR number: 422, told beside the field, nothing saved."""
    sign_in(client, staff["admin"])
    path = f"/staff/centres/{world.centre_a}"

    answer = submit(client, path, path, {"phone": value, "name": "Centre A renamed"})

    assert answer.status == 422
    assert message in answer.text()
    assert value not in answer.html.split('name="phone"', 1)[0]
    centre = session.scalars(select(Centre).where(Centre.id == world.centre_a)).one()
    assert (centre.name, centre.phone) == ("Centre A", "")


def test_the_directory_api_takes_and_answers_the_phone(
    client: FlaskClient, session: Session, keyring: crypto.Keyring, world: World
) -> None:
    """PUT with a phone stores it in national format; a foreign one answers 422 by the field."""
    key = add_api_key(session, keyring, scopes="directory:manage")
    session.commit()
    texts = {"name": "Centre A", "address": "Testvej 1"}

    edited = client.put(
        f"/api/v1/centres/{world.centre_a}",
        json={**texts, "phone": "0045 33 12 34 56"},
        headers=bearer(key),
    )
    refused = client.put(
        f"/api/v1/centres/{world.centre_a}",
        json={**texts, "phone": "+46 8 123 456 78"},
        headers=bearer(key),
    )
    public = client.get(f"/api/v1/municipalities/{HOME}/providers").get_json()

    assert edited.status_code == 200
    assert edited.get_json()["phone"] == CENTRE_PHONE
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "centre_phone_invalid"
    assert "phone" in refused.get_json()["errors"]
    assert [p["centre"]["phone"] for p in public if p["centre"]["name"] == "Centre A"] == [
        CENTRE_PHONE
    ]


@pytest.mark.parametrize(
    "typed", ["33123456", "33 12 34 56", "33-12-34-56", "+45 33 12 34 56", "0045 3312 3456"]
)
def test_a_phone_is_kept_in_national_format_however_it_is_typed(
    client: FlaskClient, session: Session, keyring: crypto.Keyring, world: World, typed: str
) -> None:
    """Blocks, spaces, dashes, +45 or 0045: the same number, kept as 33 12 34 56."""
    key = add_api_key(session, keyring, scopes="directory:manage")
    session.commit()

    edited = client.put(
        f"/api/v1/centres/{world.centre_a}",
        json={"name": "Centre A", "address": "Testvej 1", "phone": typed},
        headers=bearer(key),
    )

    assert edited.status_code == 200
    assert edited.get_json()["phone"] == CENTRE_PHONE


def test_the_privacy_audit_expects_a_centres_phone_but_no_phone_elsewhere(
    session: Session, world: World
) -> None:
    """The switchboard number is no finding; the same number in an entrance text still is."""
    _give_phone(session, world)
    session.execute(
        update(Centre).where(Centre.id == world.centre_b).values(entrance=f"Ring {CENTRE_PHONE}")
    )
    session.commit()

    found = list(scan_database(session))

    assert [(f.kind, f.place.split(" ")[0]) for f in found] == [
        ("phone-number", "centres.entrance")
    ]


# The quick exit and private browsing


def test_every_citizen_page_has_the_quick_exit_as_a_link_and_a_script_of_the_site(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """A plain link to the neutral site (it works without JavaScript), and exit.js from /assets."""
    pages = [citizen.get("/"), citizen.get("/code"), _signed_in(citizen, client, world)]

    for page in pages:
        assert re.search(
            r'<a class="quick-exit js-quick-exit" href="https://www.dr.dk/" '
            r'rel="noreferrer noopener">Forlad siden hurtigt</a>',
            page.html,
        )
        assert '<script src="/assets/exit.js"></script>' in page.html
        assert "privat vindue" in page.html
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.html), "no inline script"
    script = client.get("/assets/exit.js", base_url="https://localhost")
    body = script.get_data(as_text=True)
    script.close()
    assert script.status_code == 200
    assert "location.replace" in body


# Who it is for


def test_who_it_is_for_says_book_anyway_when_in_doubt(citizen: Citizen) -> None:
    """A person unsure whether they fit is asked to book and find out at the talk."""
    text = citizen.get("/").text()

    assert "Er du i tvivl, om tilbuddet passer til dig? Så book alligevel." in text
    assert "finder du og stedet ud af det sammen" in text


# The code page after a typo


@pytest.mark.parametrize(
    ("language", "typed", "message"),
    [
        ("da", "typo", "Koden har en tastefejl. Skriv koden igen."),
        ("da", "unknown", "Vi kender ikke den kode. Skriv koden igen."),
        ("en", "typo", "That code has a typing error. Type the code again."),
        ("en", "unknown", "We do not know that code. Type the code again."),
    ],
)
def test_a_refused_code_empties_the_field_and_asks_for_the_code_again(
    citizen: Citizen, client: FlaskClient, world: World, language: str, typed: str, message: str
) -> None:
    """The field is empty, marked invalid and described by the message; the code is not echoed."""
    token, _ = start_course(client, world)
    typo = ("1" if token[0] != "1" else "2") + token[1:]
    wrong = typo if typed == "typo" else crypto.generate_token()
    citizen.submit(citizen.get("/"), "/language", {"language": language})

    answer = citizen.submit(citizen.get("/code"), "/code", {"code": wrong})

    assert answer.status == 422
    field = re.search(r'<input id="code"[^>]*>', answer.html)
    assert field
    assert 'value=""' in field.group()
    assert 'aria-invalid="true"' in field.group()
    assert 'aria-describedby="code-error code-emptied code-hint"' in field.group()
    error = re.search(r'<p class="field-error" id="code-error">([^<]*)</p>', answer.html)
    assert error
    assert error.group(1) == message
    assert wrong not in answer.html
    assert wrong.replace("-", "") not in answer.html


# The card, the text file and leaving the code page


def test_the_card_says_where_the_code_is_used_and_the_reference_for_the_door(
    citizen: Citizen, session: Session, world: World
) -> None:
    """The site's address and the reference are inside the printed card."""
    page = _token_page(citizen, world)
    reference = session.scalars(select(Course.reference)).one()
    session.rollback()

    card = page.html.split('id="card"', 1)[1].split('<div class="warning">', 1)[0]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", card)).split())
    assert 'Brug koden på https://localhost under "Jeg har en kode".' in text
    assert f"Ved døren oplyser du referencen {reference}." in text


def test_the_text_file_says_where_the_code_is_used_and_the_reference_for_the_door(
    citizen: Citizen, session: Session, world: World
) -> None:
    """The download carries the same two lines as the card."""
    page = _token_page(citizen, world)
    reference = session.scalars(select(Course.reference)).one()
    session.rollback()

    download = citizen.submit(page, "/code.txt", {})

    assert download.status == 200
    assert 'Brug koden på https://localhost under "Jeg har en kode".' in download.html
    assert f"Ved døren oplyser du referencen {reference}." in download.html


def test_the_qr_code_scales_to_its_box_and_says_what_it_is_for(
    citizen: Citizen, world: World
) -> None:
    """The SVG has a viewBox and no fixed size; a caption under it tells its use."""
    page = _token_page(citizen, world)

    svg = re.search(r"<svg[^>]*>", page.html)
    assert svg
    assert re.search(r'viewBox="0 0 \d+ \d+"', svg.group())
    assert "width=" not in svg.group()
    assert "height=" not in svg.group()
    assert "<figcaption>Den samme kode som QR-kode" in page.html


def test_without_javascript_the_action_list_has_no_empty_item(
    citizen: Citizen, world: World
) -> None:
    """The print button's list item is hidden whole until print.js shows it."""
    page = _token_page(citizen, world)

    items = re.findall(
        r"<li[^>]*>.*?</li>", page.html.split('<ul class="actions">', 1)[1], re.DOTALL
    )
    hidden = [item for item in items if re.match(r"<li[^>]*\bhidden\b", item)]
    assert len(hidden) == 1
    assert "Print kortet" in hidden[0]


def test_the_code_page_says_before_leaving_that_the_code_is_not_shown_again(
    citizen: Citizen, world: World
) -> None:
    """The continue link is described by the sentence beside it."""
    page = _token_page(citizen, world)

    assert re.search(
        r'<p class="leaving" id="leaving">Når du forlader siden, bliver koden ikke vist igen.</p>'
        r'\s*<p class="continue"><a class="button" href="/my" aria-describedby="leaving">',
        page.html,
    )
