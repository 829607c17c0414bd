"""A newcomer starts `diskret demo` and books an intro talk within the hour, as a citizen."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Visit, visits
from tests.support.processes import diskret, free_port, running


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    """Run ``diskret demo`` on a fresh folder, with none of the tests' settings; yield its URL."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DISKRET_")}
    command = diskret("demo", "--port", str(port), "--instance", str(tmp_path / "instance"))
    with (
        (tmp_path / "demo.log").open("w+b") as log,
        running(command, port, environment, log) as base,
    ):
        yield base


@pytest.fixture
def demo_browser(demo_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """Yield a fresh Chromium profile with JavaScript on, on the demo."""
    with visits(demo_url, tmp_path, request, ("profile",), javascript=True) as (visit,):
        yield visit


def test_a_newcomer_books_an_intro_talk_within_the_hour_on_the_demo(demo_browser: Visit) -> None:
    """From the front page to a code whose intro talk starts within the next hour."""
    page, base = demo_browser.page, demo_browser.base
    providers = httpx.get(f"{base}/api/v1/municipalities/751/providers").json()
    aarhus = next(p["centre"] for p in providers if p["centre"]["name"] == "Center Aarhus")
    soon = httpx.get(f"{base}/api/v1/centres/{aarhus['id']}/slots?kind=intro").json()[0]
    page.goto(base + "/")
    demo_browser.step("landing")

    page.get_by_role("link", name="Book en første samtale").click()
    demo_browser.step("municipality")
    page.get_by_label(re.compile("bopælskommune")).select_option("751")
    page.get_by_role("button", name="Vis steder").click()
    demo_browser.step("places")
    page.get_by_role("link", name=re.compile("^Vælg Center Aarhus")).click()
    demo_browser.step("time")
    first = page.get_by_role("radio").first
    chosen = first.get_attribute("value")
    first.check()
    page.get_by_label("Jeg er 18 år eller derover").check()
    page.get_by_role("button", name="Book og få min kode").click()
    expect(page.locator(".code .group")).to_have_count(5)
    demo_browser.step("code")
    code = "-".join(page.locator(".code .group").all_inner_texts())
    page.get_by_role("link", name="Jeg har gemt min kode: fortsæt").click()
    demo_browser.step("course")

    expect(page.get_by_text("Venter på den første samtale.")).to_be_visible()
    assert chosen == soon["id"]
    starts = datetime.fromisoformat(soon["starts_at"])
    assert datetime.now(UTC) < starts < datetime.now(UTC) + timedelta(hours=1)
    me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {code}"}).json()
    intro = next(b for b in me["bookings"] if b["kind"] == "intro")
    assert datetime.fromisoformat(intro["slot"]["starts_at"]) == starts
