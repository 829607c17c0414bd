"""The citizen's pages without JavaScript: the booking, the code, the course, and their refusals."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import crypto
from service.cli import cli
from service.models import Booking, BookingStatus, Course, WebSession
from tests.support.calls import approved_course, start_course
from tests.support.pages import Citizen, Page
from tests.support.world import HOME, World


@pytest.fixture
def citizen(client: FlaskClient) -> Citizen:
    """Return one browser."""
    return Citizen(client)


def _courses(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(Course)) or 0
    session.rollback()  # end the read, so SQLite's next writer need not wait for it
    return count


def _time_page(citizen: Citizen, world: World, *, day: int = 0) -> Page:
    """Follow Centre A's link from the places page, then the link of its ``day``-th free day."""
    places = citizen.get(f"/book/places?municipality={HOME}")
    link = next(href for href in places.links("/book/time") if str(world.centre_a) in href)
    first = citizen.get(link)
    return citizen.get(first.links("/book/time")[day]) if day else first


def _book(citizen: Citizen, world: World, *, day: int = 0, **overrides: str) -> Page:
    """Send the time page's form as a person fills it in; an empty override leaves a field out."""
    page = _time_page(citizen, world, day=day)
    form = {"slot": page.radio_values("slot")[0], "adult": "y", **overrides}
    return citizen.submit(page, "/book/time", {k: v for k, v in form.items() if v})


def _sign_in(citizen: Citizen, code: str) -> Page:
    return citizen.post("/code", {"code": code}, csrf=citizen.get("/code").csrf())


def test_the_landing_page_says_what_the_offer_is_in_danish(citizen: Citizen) -> None:
    """Anonymous, adults only, the duty towards children, and ordinary treatment as the option."""
    page = citizen.get("/")

    assert page.status == 200
    assert '<html lang="da">' in page.html
    text = page.text()
    for phrase in ("CPR-nummer", "18 år", "barns trivsel", "14 dage", "Jeg har en kode"):
        assert phrase in text
    assert 'href="https://www.borger.dk/"' in page.html


def test_english_is_one_click_away_and_remembered(citizen: Citizen) -> None:
    """The choice is a cookie of its own, Secure, HttpOnly, SameSite=Strict, and nothing else."""
    landing = citizen.get("/book")

    answer = citizen.post("/language", {"language": "en", "back": "/book"}, csrf=landing.csrf())

    assert answer.status == 303
    assert answer.response.headers["Location"] == "/book"
    cookie = answer.response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-lang=en;")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    page = citizen.get("/book")
    assert '<html lang="en">' in page.html
    assert "Where do you live?" in page.text()


def test_the_language_cookie_lasts_the_session_unless_kept(citizen: Citizen) -> None:
    """No Max-Age or Expires by default; the unticked "remember" box on the form keeps it a year."""
    landing = citizen.get("/book")
    assert re.search(r'<input type="checkbox" name="remember" value="y"(?! checked)', landing.html)

    plain = citizen.post("/language", {"language": "en", "back": "/book"}, csrf=landing.csrf())
    kept = citizen.post(
        "/language", {"language": "da", "back": "/book", "remember": "y"}, csrf=landing.csrf()
    )

    session_only = plain.response.headers["Set-Cookie"]
    assert session_only.startswith("__Host-lang=en;")
    assert "Max-Age" not in session_only
    assert "Expires" not in session_only
    lasting = kept.response.headers["Set-Cookie"]
    assert lasting.startswith("__Host-lang=da;")
    assert "Max-Age=31536000" in lasting
    assert "Expires=" in lasting


@pytest.mark.parametrize(
    "back",
    [
        "//elsewhere.invalid/",
        "https://elsewhere.invalid/",
        "/\\elsewhere.invalid",
        "\\/elsewhere.invalid",
        "javascript:alert(1)",
        # Browsers drop tabs and line breaks anywhere in a URL and strip
        # leading spaces and controls, which turns each of these into "//...".
        "/\t/elsewhere.invalid",
        "/\r\n/elsewhere.invalid",
        "\t//elsewhere.invalid",
        " //elsewhere.invalid",
        "/\t\\elsewhere.invalid",
    ],
)
def test_the_language_switch_goes_back_only_within_the_site(citizen: Citizen, back: str) -> None:
    """A `back` that a browser would read as another site leads to the front page."""
    csrf = citizen.get("/").csrf()

    answer = citizen.post("/language", {"language": "en", "back": back}, csrf=csrf)

    assert answer.status == 303
    assert answer.response.headers["Location"] == "/"


def test_the_language_switch_goes_back_to_a_path_of_the_site(citizen: Citizen) -> None:
    """A path of this site, with its query, is where the switch leads back to."""
    csrf = citizen.get("/").csrf()

    answer = citizen.post(
        "/language", {"language": "en", "back": "/book/places?municipality=101"}, csrf=csrf
    )

    assert answer.response.headers["Location"] == "/book/places?municipality=101"


def test_the_whole_booking_works_without_javascript(
    citizen: Citizen, world: World, session: Session, keyring: crypto.Keyring
) -> None:
    """Municipality, place, time, 18+: the code shown once, a session begun."""
    places = citizen.get(f"/book/places?municipality={HOME}")
    assert "Første ledige samtale" in places.text()
    assert "Centre A" in places.text()
    assert "Centre B" in places.text()

    token_page = _book(citizen, world)

    assert token_page.status == 200
    code = token_page.code()
    assert crypto.normalize_token(code)
    assert "<svg" in token_page.html
    course = session.scalars(select(Course)).one()
    assert course.home_municipality == HOME
    assert (
        course.token_digest == keyring.digest(crypto.normalize_token(code), purpose="token").value
    )
    cookie = citizen.cookie("__Host-session") or ""
    assert code.replace("-", "") not in cookie.replace("-", "").upper()
    mine = citizen.get("/my")
    assert mine.status == 200
    assert "Venter på den første samtale" in mine.text()
    assert code not in mine.html


def _addresses(page: Page) -> list[str]:
    return [unescape(a) for a in re.findall(r'(?:href|src|action)="([^"]*)"', page.html)]


def test_the_code_is_in_no_address_and_downloads_through_a_form(
    citizen: Citizen, world: World, session: Session
) -> None:
    """No href, src or action holds the code or a data: URL; a POST form gives the text file."""
    token_page = _book(citizen, world)
    code = token_page.code()

    addresses = _addresses(token_page)
    assert not [a for a in addresses if a.startswith("data:") and a != "data:,"]
    assert not [a for a in addresses if code.replace("-", "") in a.replace("-", "").upper()]
    action = re.search(r'<form method="post" action="([^"]*code\.txt)"', token_page.html)
    assert action is not None
    download = citizen.post(action.group(1), {}, csrf=token_page.csrf())

    assert download.status == 200
    assert download.response.mimetype == "text/plain"
    assert download.response.headers["Content-Disposition"] == 'attachment; filename="kode.txt"'
    assert download.response.headers["Cache-Control"] == "no-store"
    assert f"Din kode: {code}" in download.html
    forged = citizen.post(action.group(1), {}, csrf=None)
    assert forged.status == 400
    assert code not in forged.html


def test_the_code_file_is_there_for_fifteen_minutes_and_only_for_the_session(
    app: Flask,
    citizen: Citizen,
    client: FlaskClient,
    world: World,
    session: Session,
    now: datetime,
) -> None:
    """A stranger goes to the code page; after 15 minutes nobody gets it; the purge forgets it."""
    token_page = _book(citizen, world)
    code = token_page.code()
    stranger = Citizen(client.application.test_client())
    stranger_page = stranger.get("/code")

    elsewhere = stranger.post("/code.txt", {}, csrf=stranger_page.csrf())
    session.execute(update(WebSession).values(created_at=now - timedelta(minutes=16)))
    session.commit()
    late = citizen.post("/code.txt", {}, csrf=token_page.csrf())

    assert (elsewhere.status, elsewhere.response.location) == (303, "/code")
    assert late.status == 404
    assert code not in elsewhere.html + late.html
    assert session.scalars(select(WebSession.sealed_code)).one() is not None
    session.commit()
    purged = CliRunner().invoke(cli, ["purge"], obj=ScriptInfo(create_app=lambda: app))
    assert purged.exit_code == 0
    session.expire_all()
    assert session.scalars(select(WebSession.sealed_code)).all() == [None]


def test_bad_input_keeps_the_choices_and_books_nothing(
    citizen: Citizen, world: World, session: Session
) -> None:
    """No 18+ confirmation, no time, a made-up time: each says why, and nothing is booked."""
    page = _time_page(citizen, world, day=1)
    slot = page.radio_values("slot")[0]

    no_adult = _book(citizen, world, day=1, adult="")
    no_time = _book(citizen, world, slot="")
    made_up = _book(citizen, world, slot="00000000-0000-4000-8000-000000000000")

    assert no_adult.status == 422
    assert "bekræft, at du er 18 år" in no_adult.text()
    assert re.search(rf"<input [^>]*checked[^>]*value=\"{slot}\"", no_adult.html)
    assert no_time.status == 422
    assert "Vælg en tid." in no_time.text()
    assert made_up.status == 409
    assert "kan ikke længere bookes" in made_up.text()
    assert _courses(session) == 0


def test_unknown_choices_are_refused(citizen: Citizen, world: World) -> None:
    """An unknown municipality gets the form again; an unknown or foreign place gets 404 or 422."""
    assert citizen.get("/book/places?municipality=999").status == 422
    assert citizen.get(f"/book/time?municipality={HOME}&centre=not-a-uuid").status == 404
    foreign = citizen.get(f"/book/time?municipality={HOME}&centre={world.centre_c}")
    assert foreign.status == 422
    assert "samarbejder ikke med det sted" in foreign.text()


def test_a_time_taken_meanwhile_says_so_and_offers_the_next(
    citizen: Citizen, client: FlaskClient, world: World, session: Session
) -> None:
    """Someone books the chosen time between view and submit: a clear message, the rest offered."""
    page = _time_page(citizen, world)
    taken = page.radio_values("slot")[0]
    start_course(client, world, slot=world.intro_a[0])
    assert taken == str(world.intro_a[0])

    answer = citizen.submit(page, "/book/time", {"slot": taken, "adult": "y"})

    assert answer.status == 409
    assert "En anden har lige booket den tid" in answer.text()
    assert taken not in answer.radio_values("slot")
    assert "Der er ikke flere ledige tider den dag" in answer.text()
    assert len(answer.links("/book/time")) == 3
    assert _courses(session) == 1


def test_a_forged_form_is_refused_and_changes_nothing(
    citizen: Citizen, world: World, session: Session
) -> None:
    """Without the CSRF token neither a booking nor an erasure goes through."""
    page = _time_page(citizen, world)
    slot = page.radio_values("slot")[0]

    forged = citizen.post(
        "/book/time",
        {"municipality": HOME, "centre": str(world.centre_a), "slot": slot, "adult": "y"},
        csrf=None,
    )
    assert forged.status == 400
    assert _courses(session) == 0

    _book(citizen, world)
    assert citizen.post("/my/erase", {}, csrf=None).status == 400
    assert citizen.post("/my/erase", {}, csrf="forged").status == 400
    assert _courses(session) == 1


def test_a_code_with_a_typo_is_caught_and_an_unknown_one_is_not_told_apart(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """A wrong check character says "typing error"; a made-up code says "we do not know it"."""
    token, _ = start_course(client, world)
    typo = ("1" if token[0] != "1" else "2") + token[1:]

    mistyped = _sign_in(citizen, typo)
    unknown = _sign_in(citizen, crypto.generate_token())
    right = _sign_in(citizen, token.lower().replace("-", " "))

    assert mistyped.status == 422
    assert "tastefejl" in mistyped.text()
    assert typo not in mistyped.html
    assert unknown.status == 422
    assert "Vi kender ikke den kode" in unknown.text()
    assert right.status == 303
    assert right.response.headers["Location"] == "/my"


def test_signing_out_ends_the_session_on_the_server(
    citizen: Citizen, client: FlaskClient, world: World
) -> None:
    """A copy of the cookie taken before signing out opens nothing afterwards."""
    token, _ = start_course(client, world)
    _sign_in(citizen, token)
    copied = citizen.cookie("__Host-session")
    assert copied

    citizen.post("/logout", {}, csrf=citizen.get("/my").csrf())
    client.set_cookie("__Host-session", copied, domain="localhost", secure=True)
    again = citizen.get("/my")

    assert again.status == 303
    assert again.response.headers["Location"] == "/code"


def test_a_session_ends_after_twelve_hours_and_lapses_when_idle(
    app: Flask,
    citizen: Citizen,
    client: FlaskClient,
    world: World,
    session: Session,
    now: datetime,
) -> None:
    """Idle for 30 minutes the signed cookie lapses; at 12 hours the server ends it anyway."""
    token, _ = start_course(client, world)
    _sign_in(citizen, token)
    session.execute(update(WebSession).values(created_at=now - timedelta(hours=12, minutes=1)))
    session.commit()

    assert citizen.get("/my").status == 303
    assert app.permanent_session_lifetime == timedelta(minutes=30)
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True


def test_erasing_asks_first_then_erases_everything(
    citizen: Citizen, world: World, session: Session
) -> None:
    """A confirmation page, then the course, its bookings, its code and its sessions are gone."""
    _book(citizen, world)
    confirm = citizen.get("/my/erase")
    assert "Ja, slet alt" in confirm.text()

    erased = citizen.post("/my/erase", {}, csrf=confirm.csrf())

    assert erased.status == 200
    assert "Alt er slettet" in erased.text()
    assert _courses(session) == 0
    assert session.scalar(select(func.count()).select_from(WebSession)) == 0
    assert citizen.get("/my").status == 303


def test_joining_a_full_group_lands_on_the_waitlist(
    citizen: Citizen, client: FlaskClient, world: World, session: Session, now: datetime
) -> None:
    """Group A holds two: the third approved citizen gets waitlist place 1 and sees it."""
    for slot in world.intro_a[:2]:
        token, _ = approved_course(client, world, session, now=now, slot=slot)
        client.post(
            "/api/v1/me/bookings",
            json={"group_id": str(world.group_a)},
            headers={"Authorization": f"Bearer {token}"},
        )
    token, _ = approved_course(client, world, session, now=now, slot=world.intro_a[2])
    _sign_in(citizen, token)
    mine = citizen.get("/my")
    assert "Skriv dig på ventelisten" in mine.text()

    joined = citizen.post(f"/my/groups/{world.group_a}", {}, csrf=mine.csrf())
    after = citizen.get("/my")

    assert joined.status == 303
    assert "Du er nummer 1 på ventelisten" in after.text()
    assert "nummer 1 på ventelisten" in after.text()


def test_moving_a_talk_to_a_taken_time_keeps_the_old_one(
    citizen: Citizen, client: FlaskClient, world: World, session: Session
) -> None:
    """The move is one transaction: when the new time is gone, the booked one stays booked."""
    _book(citizen, world)
    start_course(client, world, slot=world.intro_a[1])
    choose = citizen.get("/my/time/intro")

    moved = citizen.post("/my/time/intro", {"slot": str(world.intro_a[1])}, csrf=choose.csrf())
    to_free = citizen.post("/my/time/intro", {"slot": str(world.intro_a[2])}, csrf=choose.csrf())

    assert moved.status == 409
    assert to_free.status == 303
    session.expire_all()
    held = session.scalars(
        select(Booking.slot_id).where(Booking.status == BookingStatus.BOOKED)
    ).all()
    assert set(held) == {world.intro_a[1], world.intro_a[2]}


@pytest.mark.parametrize("path", ["/", "/book", f"/book/places?municipality={HOME}", "/code"])
def test_every_page_sends_the_security_headers(citizen: Citizen, path: str) -> None:
    """no-store, a CSP without inline script or style, no referrer, HSTS, and a __Host- cookie."""
    headers = citizen.get(path).response.headers

    assert headers["Cache-Control"] == "no-store"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie


def test_a_missing_page_is_a_page_not_json(citizen: Citizen) -> None:
    """Outside /api/ a citizen meets an error page in their language."""
    page = citizen.get("/no-such-page")

    assert page.status == 404
    assert "Ikke fundet" in page.text()
