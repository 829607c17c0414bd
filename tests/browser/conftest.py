"""Browser tests: the app served in a process of its own, driven in Debian's headless Chromium.

Chromium comes from the system (``/usr/bin/chromium``, installed by
``scripts/test``), axe-core from ``tests/browser/node_modules``. Without
them the tests skip on a laptop and fail in CI. Screenshots of every step
go to ``artifacts/browser/<test>/``, in a subfolder per browser when a test
drives two (a staff member's and a citizen's).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Response, sync_playwright
from sqlalchemy.orm import sessionmaker

import crypto
from tests.conftest import TEST_TOKEN_KEY
from tests.support import databases
from tests.support.processes import ROOT, app_processes
from tests.support.world import World, build_world

CHROMIUM = os.environ.get("DISKRET_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts" / "browser"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERIOUS = ("serious", "critical")


def _require(path: str | Path, what: str) -> None:
    if Path(path).exists():
        return
    if databases.in_ci():
        pytest.fail(f"{what} is required in CI: {path} is missing")
    pytest.skip(f"{what} not installed ({path})")


@dataclass
class Served:
    """The app in its own process, with the test world in its database."""

    url: str
    database_url: str
    world: World

    def book_intro(self, slot: uuid.UUID | None = None) -> tuple[str, str]:
        """Book an intro at centre A through the API (from 101); return the code and course id."""
        answer = httpx.post(
            f"{self.url}/api/v1/courses",
            json={
                "home_municipality": "101",
                "centre_id": str(self.world.centre_a),
                "intro_slot_id": str(slot or self.world.intro_a[0]),
                "confirm_adult": True,
            },
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["token"], answer.json()["course"]["id"]


@pytest.fixture
def served_settings() -> dict[str, str]:
    """Return further ``DISKRET_`` variables for the served app; a test module may override it."""
    return {}


@pytest.fixture
def served(tmp_path: Path, served_settings: dict[str, str]) -> Iterator[Served]:
    """Serve the app on a fresh SQLite database holding the test world."""
    url = databases.sqlite_url(tmp_path)
    engine = databases.migrated_engine(url)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        world = build_world(session, crypto.Keyring.parse(TEST_TOKEN_KEY), now=datetime.now(UTC))
        session.commit()
    engine.dispose()
    environment = {
        "DISKRET_DATABASE_URL": url,
        "DISKRET_SECRET_KEY": "browser-test-secret-key-not-for-production",
        "DISKRET_TOKEN_KEY": TEST_TOKEN_KEY,
        "DISKRET_RATELIMIT_DEFAULT": "10000 per minute",
        "DISKRET_RATELIMIT_TOKEN": "10000 per minute",
        "DISKRET_RATELIMIT_COURSE_CREATE": "10000 per minute",
        **served_settings,
    }
    with app_processes(1, environment) as urls:
        yield Served(urls[0], url, world)


@dataclass
class Visit:
    """One browser on the served app: records every request, scans and photographs each step."""

    page: Page
    context: BrowserContext
    base: str
    folder: Path
    javascript: bool = True
    requests: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    steps: int = 0

    def step(self, name: str) -> None:
        """Photograph the page and scan it for serious accessibility faults."""
        self.steps += 1
        self.page.screenshot(path=self.folder / f"{self.steps:02d}-{name}.png", full_page=True)
        if self.javascript:
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
            found: list[dict[str, Any]] = self.page.evaluate(
                "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)})))"
            )
            serious = [v for v in found if v["impact"] in SERIOUS]
            assert serious == [], f"{name}: {serious}"

    def record(self, response: Response) -> None:
        """Keep a response, for the header checks."""
        self.responses.append(response)

    def foreign_requests(self) -> list[str]:
        """Return every request that went anywhere but the served app."""
        return [url for url in self.requests if not url.startswith((self.base, "data:"))]


def _launch(
    playwright: Playwright, base: str, profile: Path, folder: Path, *, javascript: bool
) -> Visit:
    """Start Chromium on a profile of its own and record every request its page sends."""
    folder.mkdir(parents=True, exist_ok=True)
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=FLAGS,
        ignore_default_args=["--headless=new"],
        java_script_enabled=javascript,
        locale="da-DK",
        accept_downloads=True,
    )
    page = context.pages[0] if context.pages else context.new_page()
    visit = Visit(page, context, base, folder, javascript=javascript)
    page.on("request", lambda sent: visit.requests.append(sent.url))
    page.on("response", visit.record)
    return visit


@contextmanager
def visits(
    base: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    names: tuple[str, ...],
    *,
    javascript: bool,
) -> Iterator[list[Visit]]:
    """Open one browser per name on the app at ``base``, each with its own profile.

    No two share cookies or storage.

    With one name the screenshots go straight into the test's folder, with
    several into a subfolder per name.
    """
    _require(CHROMIUM, "Chromium")
    _require(AXE, "axe-core (npm ci --prefix tests/browser)")
    folder = ARTIFACTS / re.sub(r"[^\w.-]", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    visits: list[Visit] = []
    with sync_playwright() as playwright:
        try:
            for name in names:
                shots = folder if len(names) == 1 else folder / name
                visits.append(
                    _launch(playwright, base, tmp_path / name, shots, javascript=javascript)
                )
            yield visits
        finally:
            for visit in visits:
                visit.context.close()
    for visit in visits:
        assert visit.foreign_requests() == []


@pytest.fixture
def browser(served: Served, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """Yield a fresh Chromium profile with JavaScript on."""
    with visits(served.url, tmp_path, request, ("profile",), javascript=True) as (visit,):
        yield visit


@pytest.fixture
def plain_browser(
    served: Served, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Visit]:
    """Yield a fresh Chromium profile with JavaScript switched off."""
    with visits(served.url, tmp_path, request, ("profile",), javascript=False) as (visit,):
        yield visit


@pytest.fixture
def staff_and_citizen(
    served: Served, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Visit, Visit]]:
    """Yield two Chromium browsers with JavaScript on that share nothing: staff's, a citizen's."""
    with visits(served.url, tmp_path, request, ("staff", "citizen"), javascript=True) as (
        staff,
        citizen,
    ):
        yield staff, citizen
