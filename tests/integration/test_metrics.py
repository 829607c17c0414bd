"""/metrics: guarded by a token, labelled by route rules and fixed sets, naming nobody."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

import crypto
from service import create_app, metrics, migrate, webhooks
from service.cli import cli
from service.core import errors
from service.db import engine_of
from service.demo_commands import demo_environment
from service.models import DeliveryStatus, Group, Role
from tests.conftest import app_config
from tests.integration.test_webhooks import Receiver
from tests.support import databases
from tests.support.calls import approved_course, bearer, start_course
from tests.support.metrics import METRICS_TOKEN, samples_of, scrape, value
from tests.support.pages import Citizen
from tests.support.processes import free_port
from tests.support.staff import make_account, sign_in
from tests.support.world import HOME, World

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737): documentation only.


def _all_codes(kind: type[errors.DomainError]) -> set[str]:
    found = {kind.code}
    for sub in kind.__subclasses__():
        found |= _all_codes(sub)
    return found


# Every value a label may take; anything else fails the scrape test.
ALLOWED = {
    "method": metrics.METHODS | {"other"},
    "kind": metrics.KINDS,
    "reason": _all_codes(errors.DomainError),
    "outcome": {"computed", "busy"},
    "status": {status.value for status in DeliveryStatus} | {"booked", "waitlisted"},
}


@pytest.fixture
def scraped(database_url: str) -> Iterator[Flask]:
    """Yield an app whose /metrics answers the metrics token, counting from nothing.

    The metrics are the process's: the apps of earlier tests in this process
    (with routes of their own) counted into them too.
    """
    metrics.made.cache_clear()
    app = create_app(app_config(database_url, METRICS_TOKEN=METRICS_TOKEN))
    yield app
    metrics.made.cache_clear()
    engine = engine_of(app)
    databases.empty_all_tables(engine)
    engine.dispose()


def test_metrics_are_not_found_without_a_token_or_a_metrics_address(client: FlaskClient) -> None:
    """With neither setting, /metrics answers as a path that does not exist."""

    response = client.get("/metrics")
    unknown = client.get("/no-such-page")

    assert response.status_code == unknown.status_code == 404
    # The page differs only in the path its language switch leads back to.
    assert response.get_data().replace(b"/metrics", b"/no-such-page") == unknown.get_data()


def test_a_wrong_or_missing_metrics_token_is_not_found(scraped: Flask) -> None:
    """Only the configured token opens /metrics; anything else is the 404 of an unknown path."""
    client = scraped.test_client()

    statuses = [
        client.get("/metrics").status_code,
        client.get("/metrics", headers=bearer(METRICS_TOKEN[:-1] + "x")).status_code,
        client.get("/metrics", headers=bearer(METRICS_TOKEN + "x")).status_code,
        client.get("/metrics", headers={"Authorization": METRICS_TOKEN}).status_code,
    ]

    assert statuses == [404, 404, 404, 404]


def test_a_weak_metrics_token_stops_the_start(database_url: str) -> None:
    """A short metrics token is refused at start, named but not shown."""

    with pytest.raises(Exception, match="DISKRET_METRICS_TOKEN is too weak") as refused:
        create_app(app_config(database_url, METRICS_TOKEN="short"))

    assert "short" not in str(refused.value).replace("shorter", "")


def test_a_scrape_after_traffic_has_only_allowed_labels_and_nothing_of_a_person(
    scraped: Flask, world: World, session: Session
) -> None:
    """Citizens book and are refused; the scrape's labels are route rules and fixed values,
    and no code, id, reference or address from that traffic appears anywhere in it."""
    client = scraped.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    before = samples_of(scrape(client))
    token, course = approved_course(
        client, world, session, now=datetime.now(UTC), slot=world.intro_a[0]
    )
    joined = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
    )
    again = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(token)
    )
    unknown_slot = client.post(
        "/api/v1/me/bookings", json={"slot_id": str(uuid.uuid4())}, headers=bearer(token)
    )
    wrong = client.get("/api/v1/me", headers=bearer(crypto.generate_token()))
    stray = client.get(f"/api/v1/courses/{course['id']}/{token}")
    other_token, _ = start_course(client, world, slot=world.intro_a[1])

    body = scrape(client)

    samples = samples_of(body)
    rules = {rule.rule for rule in scraped.url_map.iter_rules()} | {metrics.UNMATCHED}
    for (name, labels), _ in samples.items():
        for label, given in labels:
            if label == "route":
                assert given in rules, (name, given)
            elif label == "status" and name.startswith("diskret_http"):
                assert re.fullmatch(r"[1-5]\d\d", given), (name, given)
            elif label != "le":
                assert given in ALLOWED[label], (name, label, given)
    # The home municipality's three digits would match inside any number: as a label value.
    secrets = [token, other_token, course["id"], course["reference"], CLIENT_ADDRESS, f'"{HOME}"']
    secrets += [crypto.normalize_token(token), str(world.group_a), str(world.centre_a)]
    assert [secret for secret in secrets if secret in body] == []
    assert (joined.status_code, again.status_code, unknown_slot.status_code) == (201, 409, 409)
    assert (wrong.status_code, stray.status_code) == (401, 404)
    me_books = {"route": "/api/v1/me/bookings", "method": "POST", "status": "201"}
    growth = {
        "booked group": ("diskret_bookings_total", {"kind": "group", "status": "booked"}),
        "booked intro": ("diskret_bookings_total", {"kind": "intro", "status": "booked"}),
        "already": (
            "diskret_booking_refusals_total",
            {"kind": "group", "reason": "already_booked"},
        ),
        "talk": ("diskret_booking_refusals_total", {"kind": "talk", "reason": "slot_unavailable"}),
        "unmatched": (
            "diskret_http_requests_total",
            {"route": "unmatched", "method": "GET", "status": "404"},
        ),
        "me": ("diskret_http_requests_total", me_books),
    }
    grown = {
        what: value(samples, name, **labels) - value(before, name, **labels)
        for what, (name, labels) in growth.items()
    }
    assert grown == {
        "booked group": 1,
        "booked intro": 2,
        "already": 1,
        "talk": 1,
        "unmatched": 1,
        "me": 1,
    }
    assert (
        value(
            samples,
            "diskret_http_request_duration_seconds_count",
            route="/api/v1/me/bookings",
            method="POST",
        )
        >= 3
    )


def test_a_rate_limit_refusal_is_counted_by_its_route(database_url: str) -> None:
    """A 429 from flask-limiter counts once against the route's rule."""
    app = create_app(
        app_config(
            database_url,
            METRICS_TOKEN=METRICS_TOKEN,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_DEFAULT="1 per minute",
        )
    )
    client = app.test_client()
    before = samples_of(scrape(client))

    statuses = [client.get("/api/v1/municipalities").status_code for _ in range(2)]

    after = samples_of(scrape(client))
    name, route = "diskret_rate_limited_total", {"route": "/api/v1/municipalities"}
    assert statuses == [200, 429]
    assert value(after, name, **route) - value(before, name, **route) == 1
    engine_of(app).dispose()


def test_a_promotion_from_the_waitlist_is_counted(
    scraped: Flask, world: World, session: Session
) -> None:
    """A cancelled group place goes to the first waiting citizen, and the count grows by one."""
    client = scraped.test_client()
    session.get_one(Group, world.group_a).capacity = 1
    session.commit()
    now = datetime.now(UTC)
    first, _ = approved_course(client, world, session, now=now, slot=world.intro_a[0])
    second, _ = approved_course(client, world, session, now=now, slot=world.intro_a[1])
    place = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(first)
    ).get_json()
    queued = client.post(
        "/api/v1/me/bookings", json={"group_id": str(world.group_a)}, headers=bearer(second)
    ).get_json()
    before = samples_of(scrape(client))

    cancelled = client.delete(f"/api/v1/me/bookings/{place['id']}", headers=bearer(first))

    after = samples_of(scrape(client))
    name = "diskret_waitlist_promotions_total"
    assert queued["status"] == "waitlisted"
    assert cancelled.status_code == 200
    assert value(after, name) - value(before, name) == 1


def test_the_pool_gauge_counts_a_connection_in_use(scraped: Flask) -> None:
    """A connection held outside the scrape shows as one more checked out."""
    client = scraped.test_client()
    before = value(samples_of(scrape(client)), "diskret_db_pool_checked_out")

    with engine_of(scraped).connect():
        during = value(samples_of(scrape(client)), "diskret_db_pool_checked_out")

    assert during - before == 1


def _invoke(app: Flask, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_last_purge_is_scraped_from_the_database(
    scraped: Flask, world: World, session: Session
) -> None:
    """Before any purge the gauge is 0; after `diskret purge` it is the purge's time, and the
    administrator's audit trail shows the purge."""
    admin = make_account(session, "metrics.admin", Role.ADMIN)
    session.commit()
    client = scraped.test_client()
    name = "diskret_purge_last_success_timestamp_seconds"
    never = value(samples_of(scrape(client)), name)

    started = time.time()
    _invoke(scraped, "purge")

    purged = value(samples_of(scrape(client)), name)
    staff = scraped.test_client()
    sign_in(staff, admin)
    trail = Citizen(staff).get("/staff/audit").text()
    assert never == 0
    assert started - 1 <= purged <= time.time() + 1
    assert "Systemet Daglig sletning af udløbne data Data" in " ".join(trail.split())


def test_webhook_deliveries_are_scraped_from_the_queue(
    scraped: Flask, world: World, session: Session, keyring: crypto.Keyring
) -> None:
    """A queued event shows as pending with its age; once delivered, the last success time."""
    receiver = Receiver()
    try:
        webhooks.create(
            session,
            keyring,
            name="Kalender",
            url=receiver.url,
            events=("course.approved",),
            centre_id=world.centre_a,
            municipality_code=None,
            now=datetime.now(UTC),
        )
        session.commit()
        client = scraped.test_client()
        approved_course(client, world, session, now=datetime.now(UTC), slot=world.intro_a[0])
        queued = samples_of(scrape(client))

        started = time.time()
        _invoke(scraped, "deliver-webhooks", "--once")

        delivered = samples_of(scrape(client))
    finally:
        receiver.close()
    count = "diskret_webhook_deliveries"
    assert value(queued, count, status="pending") == 1
    assert value(queued, "diskret_webhook_oldest_pending_timestamp_seconds") > 0
    assert value(queued, "diskret_webhook_last_success_timestamp_seconds") == 0
    assert value(delivered, count, status="pending") == 0
    assert value(delivered, count, status="delivered") == 1
    assert value(delivered, "diskret_webhook_oldest_pending_timestamp_seconds") == 0
    last = value(delivered, "diskret_webhook_last_success_timestamp_seconds")
    assert started - 61 <= last <= time.time() + 1


def test_a_staff_sign_in_observes_its_wait_for_an_argon2_slot(
    scraped: Flask, world: World, session: Session
) -> None:
    """Signing in hashes within the argon2 bound, and its wait for a slot is observed once."""
    account = make_account(session, "metrics.staff", Role.STAFF, centre=world.centre_a)
    session.commit()
    client = scraped.test_client()
    name = "diskret_password_wait_seconds_count"
    before = value(samples_of(scrape(client)), name, outcome="computed")

    sign_in(client, account)

    after = value(samples_of(scrape(client)), name, outcome="computed")
    assert after - before == 1


def _yaml(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_the_example_scrape_reaches_the_metrics_address_compose_serves() -> None:
    """deploy/prometheus.yml scrapes each compose instance on its --metrics-bind port, which
    only the internal backend network reaches."""
    config = _yaml("deploy/prometheus.yml")
    compose = _yaml("compose.yaml")
    command = compose["x-serve"]["command"]
    metrics_port = command[command.index("--metrics-bind") + 1].rpartition(":")[2]

    [job] = config["scrape_configs"]
    [targets] = [each["targets"] for each in job["static_configs"]]

    assert job["metrics_path"] == "/metrics"
    assert config["rule_files"] == ["diskret-alerts.yml"]
    assert (ROOT / "deploy" / "diskret-alerts.yml").is_file()
    assert {target.rpartition(":")[2] for target in targets} == {metrics_port}
    assert compose["x-app"]["networks"] == ["backend"]
    assert compose["networks"]["backend"]["internal"] is True
    assert {target.rpartition(":")[0] for target in targets} == {
        name for name, service in compose["services"].items() if service == compose["x-serve"]
    }


def test_the_alert_rules_use_only_metrics_a_scrape_serves(scraped: Flask) -> None:
    """Both alerts (purge, webhooks) name served metrics; promtool checks them if present."""
    rules = [
        rule for group in _yaml("deploy/diskret-alerts.yml")["groups"] for rule in group["rules"]
    ]
    served = {
        family.name for family in text_string_to_metric_families(scrape(scraped.test_client()))
    }

    used = {name for rule in rules for name in re.findall(r"\bdiskret_\w+", rule["expr"])}

    assert [rule["alert"] for rule in rules] == [
        "DiskretPurgeNotRun",
        "DiskretWebhookDeliveryFailing",
    ]
    assert all({"expr", "for", "labels", "annotations"} <= set(rule) for rule in rules)
    assert "diskret_purge_last_success_timestamp_seconds" in used
    assert used <= served, used - served
    assert "26 * 3600" in rules[0]["expr"]
    promtool = shutil.which("promtool")
    if promtool is not None:
        checked = subprocess.run(
            [promtool, "check", "rules", str(ROOT / "deploy" / "diskret-alerts.yml")],
            capture_output=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_scrape_with_the_database_closed_says_so_and_names_nothing() -> None:
    """The database's gauge is 0 and the rest still answers; no URL or password is shown."""
    password = "probe-password-not-for-production"
    url = f"postgresql://diskret:{password}@127.0.0.1:{free_port()}/diskret"
    app = create_app(app_config(url, METRICS_TOKEN=METRICS_TOKEN))

    body = scrape(app.test_client())

    samples = samples_of(body)
    assert samples[("diskret_database_up", ())] == 0
    assert ("diskret_purge_last_success_timestamp_seconds", ()) not in samples
    assert password not in body
    assert "127.0.0.1" not in body
    engine_of(app).dispose()


def test_the_demo_serves_metrics_only_when_a_token_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's settings open no /metrics; DISKRET_METRICS_TOKEN in its environment does."""
    monkeypatch.delenv("DISKRET_METRICS_TOKEN", raising=False)
    settings = demo_environment(tmp_path / "instance")
    plain = create_app(settings)
    monkeypatch.setenv("DISKRET_METRICS_TOKEN", METRICS_TOKEN)
    asked = create_app(settings)
    for app in (plain, asked):
        migrate.upgrade(engine_of(app))

    statuses = [
        plain.test_client().get("/metrics", headers=bearer(METRICS_TOKEN)).status_code,
        asked.test_client().get("/metrics", headers=bearer(METRICS_TOKEN)).status_code,
    ]

    assert statuses == [404, 200]
    for app in (plain, asked):
        engine_of(app).dispose()
