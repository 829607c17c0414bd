"""The private calendar feed: made and revoked on /my, ended by erasure and a new code."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import crypto
from service import create_app
from service.booking import feeds, rotation
from service.core.text import kinds_in
from service.db import engine_of
from service.models import CalendarFeed
from tests.conftest import ROTATED_TOKEN_KEY, app_config
from tests.support import ics
from tests.support.calls import bearer, start_course
from tests.support.pages import Citizen, Page
from tests.support.scan import logs_contain
from tests.support.world import World


@pytest.fixture
def citizen(client: FlaskClient) -> Citizen:
    """Return one browser."""
    return Citizen(client)


def signed_in(client: FlaskClient, world: World, **course: object) -> tuple[Citizen, str]:
    """Book through the API, sign in on the code page of a browser of its own; return both."""
    token, _ = start_course(client, world, **course)  # type: ignore[arg-type]
    browser = Citizen(client.application.test_client())
    assert browser.submit(browser.get("/code"), "/code", {"code": token}).status == 303
    return browser, token


def make_feed(browser: Citizen) -> tuple[Page, str]:
    """Press "Make a calendar link" on /my; return the answer and the https address it shows."""
    made = browser.submit(browser.get("/my"), "/my/calendar-feed", {})
    found = re.search(r'id="feed-address"[^>]*value="([^"]+)"', made.html)
    assert found, "the page shows no calendar link"
    return made, found.group(1)


def fetch(client: FlaskClient, address: str) -> tuple[int, str]:
    """Fetch a feed as a calendar provider does: no cookie, just the URL."""
    answer = client.application.test_client().get(urlsplit(address).path)
    return answer.status_code, answer.get_data(as_text=True)


def test_my_page_says_what_subscribing_means_before_the_link_is_made(
    client: FlaskClient, world: World
) -> None:
    """Before any link exists, /my explains the provider will fetch "Aftale" and an address."""
    browser, _ = signed_in(client, world)

    page = browser.get("/my")

    assert "Lav et kalenderlink" in page.text()
    assert "henter din kalenderudbyder" in page.text()
    assert 'Udbyderen får "Aftale", tiderne og stedets adresse, intet andet.' in page.text()
    assert "Alle, der har linket, kan se disse tider." in page.text()


def test_the_feed_is_made_fetched_revoked_and_then_finds_nothing(
    client: FlaskClient, world: World
) -> None:
    """Make on /my, fetch without a session (the same events as the download), revoke, 404."""
    browser, _ = signed_in(client, world)

    made, address = make_feed(browser)
    status, text = fetch(client, address)
    downloaded = ics.read(browser.get("/my/calendar.ics").response.get_data(as_text=True))
    mine = browser.get("/my")
    revoked = browser.submit(mine, "/my/calendar-feed/revoke", {})
    after, _ = fetch(client, address)

    assert made.status == 200
    assert f'href="webcal://{address.split("://", 1)[1]}"' in made.html
    assert status == 200
    assert ics.read(text) == downloaded
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    assert "Du har et kalenderlink" in mine.text()
    assert revoked.status == 303
    assert after == 404
    assert "Lav et kalenderlink" in browser.get("/my").text()


def test_a_new_link_ends_the_old_one(client: FlaskClient, world: World) -> None:
    """A course has one feed: making a new link revokes the one before."""
    browser, _ = signed_in(client, world)
    _, old = make_feed(browser)

    _, new = make_feed(browser)

    assert new != old
    assert fetch(client, old)[0] == 404
    assert fetch(client, new)[0] == 200


def test_the_feed_follows_a_cancellation(
    client: FlaskClient, world: World, session: Session
) -> None:
    """A cancelled talk appears in the feed as cancelled, so the subscribed calendar drops it."""
    browser, token = signed_in(client, world)
    _, address = make_feed(browser)
    booking = client.get("/api/v1/me", headers=bearer(token)).get_json()["bookings"][0]

    client.delete(f"/api/v1/me/bookings/{booking['id']}", headers=bearer(token))
    (event,) = ics.read(fetch(client, address)[1])

    assert event.status == "CANCELLED"


def test_erasing_the_course_ends_the_feed(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Erasure on /my deletes the feed with the course: its URL answers 404."""
    browser, _ = signed_in(client, world)
    _, address = make_feed(browser)

    erased = browser.submit(browser.get("/my/erase"), "/my/erase", {})

    assert erased.status == 200
    assert fetch(client, address)[0] == 404
    assert session.scalar(select(CalendarFeed.id)) is None


def test_a_new_code_from_staff_ends_the_feed(client: FlaskClient, world: World) -> None:
    """Staff replacing a lost code end the old holder's feed too."""
    browser, token = signed_in(client, world)
    _, address = make_feed(browser)
    course_id = client.get("/api/v1/me", headers=bearer(token)).get_json()["id"]

    replaced = client.post(f"/api/v1/courses/{course_id}/token", headers=bearer(world.manage_a))

    assert replaced.status_code == 201
    assert fetch(client, address)[0] == 404


def test_a_feed_shows_only_its_own_course(client: FlaskClient, world: World) -> None:
    """One course's feed holds none of another's events; a made-up secret finds nothing."""
    first, _ = signed_in(client, world, slot=world.intro_a[0])
    second, _ = signed_in(client, world, slot=world.intro_a[1])
    _, first_address = make_feed(first)
    _, second_address = make_feed(second)

    first_events = ics.read(fetch(client, first_address)[1])
    second_events = ics.read(fetch(client, second_address)[1])
    made_up = fetch(client, f"https://localhost/calendar/{secrets.token_urlsafe(32)}.ics")

    assert {e.uid for e in first_events}.isdisjoint({e.uid for e in second_events})
    assert [e.start for e in first_events] != [e.start for e in second_events]
    assert made_up[0] == 404
    assert "VCALENDAR" not in made_up[1]


def test_revoking_reaches_only_the_signed_in_course(client: FlaskClient, world: World) -> None:
    """The revoke form acts on the browser's own course: another course's feed keeps working."""
    first, _ = signed_in(client, world, slot=world.intro_a[0])
    second, _ = signed_in(client, world, slot=world.intro_a[1])
    _, first_address = make_feed(first)
    make_feed(second)

    second.submit(second.get("/my"), "/my/calendar-feed/revoke", {})

    assert fetch(client, first_address)[0] == 200


def test_the_secret_is_kept_only_as_a_keyed_digest(
    client: FlaskClient, world: World, session: Session, keyring: crypto.Keyring
) -> None:
    """The database holds the HMAC of the secret under the feed's own purpose, never the secret."""
    browser, token = signed_in(client, world)
    _, address = make_feed(browser)
    secret = urlsplit(address).path.removeprefix("/calendar/").removesuffix(".ics")

    stored = session.scalars(select(CalendarFeed)).one()

    assert stored.secret_digest == keyring.digest(secret, purpose=feeds.PURPOSE).value
    assert secret.encode() not in stored.secret_digest
    assert len(secret) == 43
    assert crypto.normalize_token(token) not in secret


def test_no_log_line_holds_the_feed_address(
    client: FlaskClient, world: World, captured_logs: pytest.LogCaptureFixture
) -> None:
    """Making, fetching and revoking log the route's pattern, never the secret in the path."""
    browser, _ = signed_in(client, world)
    _, address = make_feed(browser)
    secret = urlsplit(address).path.removeprefix("/calendar/").removesuffix(".ics")
    fetch(client, address)
    browser.submit(browser.get("/my"), "/my/calendar-feed/revoke", {})
    fetch(client, address)

    lines = [record.getMessage() for record in captured_logs.records]

    assert any("/calendar/<secret>.ics 200" in line for line in lines)
    assert any("/calendar/<secret>.ics 404" in line for line in lines)
    assert not logs_contain(captured_logs, secret)
    assert not any("calendar-feed" in kinds_in(line) for line in lines)


def test_the_feed_page_is_english_for_an_english_reader(client: FlaskClient, world: World) -> None:
    """The feed's explanation and link page are translated like every citizen page."""
    browser, _ = signed_in(client, world)
    landing = browser.get("/")
    browser.submit(landing, "/language", {"language": "en"})

    mine = browser.get("/my")
    made, _ = make_feed(browser)

    assert "Make a calendar link" in mine.text()
    assert 'It gets "Aftale", the times and the centre\'s address, nothing more.' in mine.text()
    assert "This page shows the link once." in made.text()


def test_the_api_makes_and_revokes_the_feed_and_erasure_ends_it(
    client: FlaskClient, world: World
) -> None:
    """POST makes the feed (201, its URLs once), DELETE revokes it; a new one ends on erasure."""
    token, _ = start_course(client, world)

    made = client.post("/api/v1/me/calendar-feed", headers=bearer(token))
    address = made.get_json()["url"]
    status, text = fetch(client, address)
    revoked = client.delete("/api/v1/me/calendar-feed", headers=bearer(token))
    after = fetch(client, address)[0]
    again = client.post("/api/v1/me/calendar-feed", headers=bearer(token)).get_json()["url"]
    client.delete("/api/v1/me", headers=bearer(token))

    assert made.status_code == 201
    assert made.get_json()["webcal_url"] == "webcal://" + address.split("://", 1)[1]
    assert status == 200
    assert [event.summary for event in ics.read(text)] == ["Aftale"]
    assert revoked.status_code == 204
    assert after == 404
    assert fetch(client, again)[0] == 404


def test_a_retired_key_still_opens_the_feed_through_its_wrapped_digest(
    client: FlaskClient, world: World, session: Session, database_url: str
) -> None:
    """`diskret keys retire 1` wraps the feed's digest under key 2: the same URL still works."""
    browser, _ = signed_in(client, world)
    _, address = make_feed(browser)
    rotated = create_app(app_config(database_url, TOKEN_KEY=ROTATED_TOKEN_KEY))
    factory = sessionmaker(bind=engine_of(rotated), expire_on_commit=False)

    rotation.retire(factory, crypto.Keyring.parse(ROTATED_TOKEN_KEY), 1, progress=lambda *_: None)
    answer = rotated.test_client().get(urlsplit(address).path)
    stored = session.scalars(select(CalendarFeed)).one()

    assert answer.status_code == 200
    assert (stored.key_version, stored.inner_version) == (2, 1)
    engine_of(rotated).dispose()


def test_the_feed_route_spends_the_default_per_client_budget(database_url: str) -> None:
    """Like every citizen GET without a limit of its own: the fourth of three allowed is 429."""
    limited = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_DEFAULT="3 per minute",
        )
    )
    fetcher = limited.test_client()
    fetcher.environ_base["REMOTE_ADDR"] = "203.0.113.78"  # TEST-NET-3 (RFC 5737)

    answers = [
        fetcher.get(f"/calendar/{secrets.token_urlsafe(32)}.ics").status_code for _ in range(4)
    ]

    assert answers == [404, 404, 404, 429]
    engine_of(limited).dispose()
