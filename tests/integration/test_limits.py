"""Rate limits keyed on a daily-rotating keyed hash of the address, never the address (SPEC P3)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import argon2
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import crypto
from service import create_app, passwords
from service.db import engine_of
from service.limits import limiter
from service.models import Role
from tests.conftest import app_config
from tests.support import databases
from tests.support.pages import Citizen
from tests.support.processes import free_port
from tests.support.staff import answer_code, enrol, make_account, sign_in
from tests.support.world import HOME, World

CLIENT_ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737): documentation only.


def _limited_app(database_url: str, storage: str) -> Flask:
    return create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=storage,
            RATELIMIT_COURSE_CREATE="2 per minute",
        )
    )


@pytest.fixture
def memory_app(database_url: str) -> Iterator[Flask]:
    """Yield an app whose limiter keeps its counters in memory."""
    app = _limited_app(database_url, "memory://")
    yield app
    engine_of(app).dispose()


@pytest.fixture
def redis_app(database_url: str) -> Iterator[tuple[Flask, redis.Redis]]:
    """Yield an app whose limiter keeps its counters in Redis, and a client of that Redis."""
    url = databases.redis_url()
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    app = _limited_app(database_url, url)
    yield app, connection
    connection.flushdb()
    connection.close()
    engine_of(app).dispose()


def _exhaust(app: Flask) -> list[int]:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    return [client.post("/api/v1/courses", json={}).status_code for _ in range(3)]


def test_course_creation_is_limited_with_the_envelope_and_retry_after(memory_app: Flask) -> None:
    """The third request in a minute gets 429 with a Retry-After header."""
    client = memory_app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    for _ in range(2):
        client.post("/api/v1/courses", json={})

    response = client.post("/api/v1/courses", json={})

    assert response.status_code == 429
    assert response.get_json()["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_memory_counters_hold_no_address(memory_app: Flask) -> None:
    """The in-memory limiter's keys are hashes: the client address appears in none."""

    statuses = _exhaust(memory_app)

    keys = list(limiter.storage.storage.keys())  # type: ignore[attr-defined]
    assert statuses[-1] == 429
    assert keys
    assert not any(CLIENT_ADDRESS in str(key) for key in keys)


def test_redis_counters_hold_no_address(redis_app: tuple[Flask, redis.Redis]) -> None:
    """Counters shared through Redis hold hashes only, never the client address."""
    app, connection = redis_app

    statuses = _exhaust(app)

    keys = [key.decode() for key in connection.scan_iter("*")]
    assert statuses[-1] == 429
    assert keys
    assert not any(CLIENT_ADDRESS in key for key in keys)


@pytest.fixture
def token_app(database_url: str) -> Iterator[Flask]:
    """Yield an app whose token routes allow three tries per token and many per client."""
    app = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_TOKEN="100 per minute",
            RATELIMIT_TOKEN_DIGEST="3 per minute",
        )
    )
    yield app
    engine_of(app).dispose()


def test_one_token_is_limited_whichever_client_sends_it(token_app: Flask) -> None:
    """Three tries of one code from three addresses: the fourth, from a fourth, gets 429.

    Another code from the same address is still answered: the key is the code's digest.
    """
    client = token_app.test_client()
    guessed, other = crypto.generate_token(), crypto.generate_token()

    answers = [
        client.get(
            "/api/v1/me",
            headers={"Authorization": f"Bearer {guessed}"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n in range(4)
    ]
    fresh = client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"})

    assert answers == [401, 401, 401, 429]
    assert fresh.status_code == 401


@pytest.fixture
def storage_down_app(database_url: str) -> Iterator[Flask]:
    """Yield an app whose limiter storage is a Redis that does not answer."""
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = _limited_app(database_url, closed)
    yield app
    engine_of(app).dispose()


def test_without_the_limiter_storage_token_entry_fails_closed_and_the_rest_stays_up(
    storage_down_app: Flask,
) -> None:
    """Code entry, the API's token routes and staff sign-in answer 503; other pages answer."""
    client = storage_down_app.test_client()

    landing = client.get("/", base_url="https://localhost")
    municipalities = client.get("/api/v1/municipalities")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {crypto.generate_token()}"})
    browser = Citizen(client)
    code = browser.submit(browser.get("/code"), "/code", {"code": crypto.generate_token()})
    login = browser.submit(
        browser.get("/staff/login"), "/staff/login", {"username": "x", "password": "y"}
    )

    assert (landing.status_code, municipalities.status_code) == (200, 200)
    assert me.status_code == 503
    assert me.get_json()["code"] == "unavailable"
    assert (code.status, login.status) == (503, 503)


# One budget per documented limit, whichever route spends it


def _address(client: FlaskClient, address: str) -> FlaskClient:
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _emptied_redis() -> Iterator[str]:
    """Yield the tests' Redis URL, its database emptied before and after."""
    url = databases.redis_url()
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture(params=["memory", "redis"])
def counters(request: pytest.FixtureRequest) -> Iterator[str]:
    """Yield a limiter storage URI: the process's memory, or the tests' Redis emptied."""
    if request.param == "memory":
        yield "memory://"
        return
    yield from _emptied_redis()


@pytest.fixture
def budget_app(database_url: str, world: World, counters: str) -> Iterator[Flask]:
    """Yield an app with three of everything per budget, made after the world's own app."""
    app = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=counters,
            RATELIMIT_COURSE_CREATE="3 per minute",
            RATELIMIT_TOKEN="3 per minute",
            RATELIMIT_TOKEN_DIGEST="3 per minute",
            RATELIMIT_API_KEY="3 per minute",
            RATELIMIT_API_CLIENT="3 per minute",
            RATELIMIT_LOGIN_CLIENT="3 per minute",
        )
    )
    yield app
    engine_of(app).dispose()


def _web_code(browser: Citizen, code: str) -> int:
    csrf = browser.get("/code").csrf()
    return browser.post("/code", {"code": code}, csrf=csrf).status


def test_code_guesses_from_one_client_share_one_budget_across_api_and_web(
    budget_app: Flask,
) -> None:
    """Two guesses on two API routes and one on the web form use up the client's three."""
    client = _address(budget_app.test_client(), CLIENT_ADDRESS)
    browser = Citizen(client)

    def guess() -> dict[str, str]:
        return {"Authorization": f"Bearer {crypto.generate_token()}"}

    spent = [
        client.get("/api/v1/me", headers=guess()).status_code,
        client.get("/api/v1/me/calendar.ics", headers=guess()).status_code,
        _web_code(browser, crypto.generate_token()),
    ]
    api = client.delete("/api/v1/me", headers=guess())
    web = _web_code(browser, crypto.generate_token())

    assert spent == [401, 401, 422]
    assert api.status_code == 429
    assert web == 429


def test_every_spelling_of_one_code_spends_the_same_budget(budget_app: Flask) -> None:
    """Any case of Bearer, extra whitespace, dashes or none, the web form: one code, one budget."""
    token = crypto.generate_token()
    spellings = [
        {"Authorization": f"bearer {token.lower()}"},
        {"Authorization": f"BEARER   {token.replace('-', '')}"},
    ]

    spent = [
        budget_app.test_client()
        .get("/api/v1/me", headers=headers, environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
        .status_code
        for n, headers in enumerate(spellings, start=1)
    ]
    spent.append(
        _web_code(Citizen(_address(budget_app.test_client(), "198.51.100.3")), token.lower())
    )
    blocked = budget_app.test_client().get(
        "/api/v1/me",
        headers={"Authorization": f"Bearer\t{token}"},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    web = _web_code(Citizen(_address(budget_app.test_client(), "198.51.100.5")), token)

    assert spent == [401, 401, 422]
    assert blocked.status_code == 429
    assert web == 429


def test_a_form_code_field_does_not_move_an_api_guess_to_another_budget(
    budget_app: Flask,
) -> None:
    """A `code` field sent with the API's header changes nothing: the header's code is counted."""
    token = crypto.generate_token()

    answers = [
        budget_app.test_client()
        .delete(
            "/api/v1/me",
            headers={"Authorization": f"bearer {token}"},
            data={"code": crypto.generate_token()},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
        .status_code
        for n in range(1, 5)
    ]

    assert answers == [401, 401, 401, 429]


def test_one_api_key_spends_one_budget_however_it_is_spelled_and_wherever_it_is_sent(
    budget_app: Flask, world: World
) -> None:
    """One key on three routes with three spellings of the scheme: the fourth use gets 429."""
    key = world.unscoped_a
    spellings = [f"Bearer {key}", f"BEARER  {key}", f"bearer\t{key}", f"Bearer {key}"]
    calls = [
        ("get", "/api/v1/stats"),
        ("get", "/api/v1/stats.csv"),
        ("post", "/api/v1/tokens/verify"),
        ("get", "/api/v1/stats"),
    ]

    answers = [
        getattr(budget_app.test_client(), method)(
            path,
            headers={"Authorization": spelling},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n, (spelling, (method, path)) in enumerate(zip(spellings, calls, strict=True))
    ]

    assert 429 not in answers[:3]
    assert answers[3] == 429


def test_random_api_keys_from_one_client_meet_the_client_limit(budget_app: Flask) -> None:
    """Every made-up key is a fresh key, but the client's budget across key routes runs out."""
    client = _address(budget_app.test_client(), CLIENT_ADDRESS)
    paths = [
        "/api/v1/stats",
        "/api/v1/stats.csv",
        "/api/v1/centres/{}/courses".format("00000000-0000-4000-8000-000000000000"),
        "/api/v1/stats",
    ]

    answers = [
        client.get(
            path, headers={"Authorization": f"Bearer {crypto.generate_api_key()}"}
        ).status_code
        for path in paths
    ]

    assert answers == [401, 401, 401, 429]


def test_course_creation_shares_one_budget_across_api_and_web(
    budget_app: Flask, world: World
) -> None:
    """Two requests on the API and one on the web form use up three; both then answer 429."""
    client = _address(budget_app.test_client(), CLIENT_ADDRESS)
    browser = Citizen(client)
    form_page = f"/book/time?municipality={HOME}&centre={world.centre_a}"
    csrf = browser.get(form_page).csrf()
    form = {"municipality": HOME, "centre": str(world.centre_a), "slot": "not-a-slot"}

    spent = [
        client.post("/api/v1/courses", json={}).status_code,
        browser.post("/book/time", form, csrf=csrf).status,
        client.post("/api/v1/courses", json={}).status_code,
    ]
    web = browser.post("/book/time", form, csrf=csrf).status
    api = client.post("/api/v1/courses", json={})

    assert 429 not in spent
    assert web == 429
    assert api.status_code == 429


def test_booking_the_soonest_spends_the_course_creation_budget(
    budget_app: Flask, world: World
) -> None:
    """The places page's "book the soonest" form counts as the time page's form does."""
    client = _address(budget_app.test_client(), CLIENT_ADDRESS)
    browser = Citizen(client)
    places = browser.get(f"/book/places?municipality={HOME}")

    spent = [browser.submit(places, "/book/soonest", {}).status for _ in range(3)]
    web = browser.submit(places, "/book/soonest", {"adult": "y"}).status
    api = client.post("/api/v1/courses", json={})

    assert spent == [422, 422, 422]
    assert web == 429
    assert api.status_code == 429


def test_staff_sign_in_failures_share_one_budget_across_password_and_code(
    budget_app: Flask, session: Session, keyring: crypto.Keyring, world: World
) -> None:
    """Two wrong passwords and one wrong code use up three; the next try of either gets 429."""
    account = make_account(session, "staff.budget", Role.STAFF, centre=world.centre_a)
    session.commit()
    enrol(session, keyring, account, now=datetime.now(UTC))
    client = _address(budget_app.test_client(), CLIENT_ADDRESS)

    wrong = [sign_in(client, account, "not the password").status for _ in range(2)]
    code_page = sign_in(client, account)
    wrong.append(answer_code(client, code_page, "000000").status)
    password = sign_in(client, account, "not the password either")
    code = answer_code(client, code_page, "000000")

    assert code_page.status == 200
    assert wrong == [401, 401, 401]
    assert password.status == 429
    assert code.status == 429


# Without the limiter's storage: every limited route fails closed or counts in the process

# A route's spender: one request through the client; ``memo`` keeps what the
# test fetched once (the form page's CSRF token), so the pages themselves,
# limited by the default limit, are fetched once only.
Spend = Callable[[FlaskClient, World, dict[str, str]], int]


def _api(method: str, path: str, key: Callable[[World], str] | None = None, **kw: Any) -> Spend:
    def spend(client: FlaskClient, world: World, _: dict[str, str]) -> int:
        headers = {"Authorization": f"Bearer {key(world)}"} if key else {}
        return int(client.open(path, method=method, headers=headers, **kw).status_code)

    return spend


def _form(page: str, path: str, form: Callable[[World], dict[str, str]]) -> Spend:
    def spend(client: FlaskClient, world: World, memo: dict[str, str]) -> int:
        browser = Citizen(client)
        if "csrf" not in memo:
            # With the storage down, sign-in never reaches the code page; the
            # sign-in page carries the session's token that it would carry.
            memo["csrf"] = browser.get(page.format(centre=world.centre_a, home=HOME)).csrf()
        return browser.post(path, form(world), csrf=memo["csrf"]).status

    return spend


LIMITED_ROUTES: dict[str, Spend] = {
    "default limit": _api("GET", "/api/v1/municipalities"),
    "course creation, API": _api("POST", "/api/v1/courses", json={}),
    "course creation, web": _form(
        "/book/time?municipality={home}&centre={centre}",
        "/book/time",
        lambda w: {"municipality": HOME, "centre": str(w.centre_a), "slot": "x"},
    ),
    "code, API": _api("GET", "/api/v1/me", lambda _: crypto.generate_token()),
    "code, web": _form("/code", "/code", lambda _: {"code": crypto.generate_token()}),
    "token verify": _api(
        "POST", "/api/v1/tokens/verify", lambda w: w.verify_home, json={"token": "x"}
    ),
    "stats": _api("GET", "/api/v1/stats", lambda w: w.unscoped_a),
    "manage": _api("GET", f"/api/v1/centres/{uuid.UUID(int=0)}/courses", lambda w: w.manage_a),
    "staff password": _form(
        "/staff/login", "/staff/login", lambda _: {"username": "nobody", "password": "wrong"}
    ),
    "staff code": _form(
        "/staff/login", "/staff/login/code", lambda _: {"pending": "x", "code": "000000"}
    ),
}


@pytest.fixture(params=["down", "redis"])
def storage(request: pytest.FixtureRequest) -> Iterator[str]:
    """Yield a limiter storage URI: a Redis that does not answer, or the tests' Redis emptied."""
    if request.param == "down":
        yield f"redis://127.0.0.1:{free_port()}/0"
        return
    yield from _emptied_redis()


@pytest.fixture
def three_of_everything(database_url: str, world: World, storage: str) -> Iterator[Flask]:
    """Yield an app allowing three of each limited request, on the given storage."""
    app = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=storage,
            **{
                f"RATELIMIT_{name}": "3 per minute"
                for name in (
                    "DEFAULT",
                    "COURSE_CREATE",
                    "TOKEN",
                    "TOKEN_DIGEST",
                    "API_KEY",
                    "API_CLIENT",
                    "LOGIN_CLIENT",
                    "LOGIN_ACCOUNT",
                    "LOGIN_CODE",
                )
            },
        )
    )
    yield app
    engine_of(app).dispose()


@pytest.mark.parametrize("route", LIMITED_ROUTES)
def test_no_limited_route_goes_unlimited_whether_the_storage_answers_or_not(
    three_of_everything: Flask, world: World, route: str
) -> None:
    """Four requests where three are allowed: the last gets 429, or every one got 503."""
    client = _address(three_of_everything.test_client(), CLIENT_ADDRESS)

    memo: dict[str, str] = {}

    answers = [LIMITED_ROUTES[route](client, world, memo) for _ in range(4)]

    assert answers[-1] == 429 or answers == [503] * 4, answers


# A flood of sign-ins from many addresses


@pytest.fixture
def flooded(database_url: str, world: World, counters: str) -> Iterator[Flask]:
    """Yield an app with one argon2 slot, no wait for it, and five failed sign-ins per client."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writing request at a time: no two sign-ins hash at once")
    app = create_app(
        app_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=counters,
            RATELIMIT_LOGIN_CLIENT="5 per minute",
            PASSWORD_CONCURRENCY=1,
            PASSWORD_WAIT_MS=0,
        )
    )
    yield app
    engine_of(app).dispose()
    passwords.reset()


@pytest.fixture
def slow_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every argon2 verify take 20 ms, so that a flood keeps the one slot busy."""
    original = argon2.PasswordHasher.verify

    def slow(hasher: argon2.PasswordHasher, stored: str, password: str) -> bool:
        time.sleep(0.02)
        return original(hasher, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", slow)


FLOOD = [f"198.51.100.{n}" for n in range(1, 9)]


def test_a_sign_in_flood_pays_for_its_busy_answers_and_staff_still_sign_in(
    flooded: Flask, session: Session, world: World, slow_hashes: None
) -> None:
    """Eight addresses flood sign-in; each is cut off after five 401s or 503s; staff get in."""
    account = make_account(session, "staff.flooded", Role.STAFF, centre=world.centre_a)
    session.commit()
    stop = threading.Event()
    answers: dict[str, list[int]] = {address: [] for address in FLOOD}

    def flood(address: str) -> None:
        browser = Citizen(_address(flooded.test_client(), address))
        login = browser.get("/staff/login")
        while not stop.is_set():
            # A new made-up name each time, so the per-account limit never stops the flood.
            form = {"username": f"nobody.{uuid.uuid4().hex}", "password": "wrong"}
            answers[address].append(browser.submit(login, "/staff/login", form).status)

    threads = [threading.Thread(target=flood, args=(address,)) for address in FLOOD]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while not all(429 in seen for seen in answers.values()) and time.monotonic() < deadline:
            time.sleep(0.01)
        member = _address(flooded.test_client(), "192.0.2.10")
        tries = [sign_in(member, account).status]
        # A person told "busy, retry in a second" tries again (quicker here).
        while tries[-1] == 503 and len(tries) < 20:
            time.sleep(0.05)
            tries.append(sign_in(member, account).status)
        still_flooding = all(thread.is_alive() for thread in threads)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    charged = {address: [s for s in seen if s != 429] for address, seen in answers.items()}
    assert still_flooding
    assert any(503 in seen for seen in charged.values())
    assert all(len(seen) <= 5 for seen in charged.values()), charged
    assert tries[-1] == 303, tries
