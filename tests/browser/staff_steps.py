"""Steps the staff browser tests share: the served database and the first sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from service.db import make_engine
from tests.browser.conftest import Served, Visit

PASSWORD = "en lang og hemmelig sætning"


@contextmanager
def served_database(served: Served) -> Iterator[Session]:
    """Open a session on the served app's database, beside the running app."""
    engine = make_engine(served.database_url)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False)() as session:
            yield session
    finally:
        engine.dispose()


def sign_in_first_time(staff: Visit, username: str, setup_code: str, *, step: str) -> None:
    """Sign in with a one-time setup code and choose the password; photograph the start page."""
    page = staff.page
    page.goto(staff.base + "/staff/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(setup_code)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Vælg din adgangskode")).to_be_visible()
    page.get_by_label("Ny adgangskode").fill(PASSWORD)
    page.get_by_label("Gentag den nye adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Gem adgangskoden").click()
    expect(page.get_by_role("status")).to_contain_text("Din adgangskode er gemt.")
    staff.step(step)
