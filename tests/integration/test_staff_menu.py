"""The staff menu: declared once as data, in a fixed order, each entry for roles its view admits."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from service.staff.menu import MENU
from tests.support.pages import Citizen
from tests.support.staff import Staff, make_staff, sign_in
from tests.support.world import World


@pytest.fixture
def staff(session: Session, world: World) -> Staff:
    """Return the tests' staff accounts."""
    return make_staff(session, world)


def test_each_menu_entry_is_shown_only_to_roles_its_view_admits(app: Flask) -> None:
    """A menu link never leads a role to a refusal (the day view is everyone's home page)."""
    for entry in MENU:
        admitted = getattr(app.view_functions[entry.endpoint], "staff_roles")  # noqa: B009
        assert entry.roles, entry.endpoint
        assert entry.roles <= admitted, entry.endpoint


@pytest.mark.parametrize(
    ("account", "labels"),
    [
        (
            "admin",
            [
                "Konti",
                "Steder",
                "API-nøgler",
                "Log",
                "Kontrakter",
                "Statistik",
                "Afregning",
                "Totrinslogin",
            ],
        ),
        (
            "admin_a",
            [
                "Konti",
                "Log",
                "Forløb",
                "Book for en borger",
                "Afregning",
                "Tider",
                "Grupper",
                "Totrinslogin",
                "I dag",
            ],
        ),
        ("coordinator", ["Kontrakter", "Statistik", "Afregning", "Totrinslogin"]),
        # Billing is not for centre staff (service.staff.billing).
        (
            "staff_a",
            ["Forløb", "Book for en borger", "Tider", "Grupper", "Totrinslogin", "I dag"],
        ),
    ],
)
def test_the_menu_shows_each_role_its_pages_in_the_declared_order(
    app: Flask, staff: Staff, account: str, labels: list[str]
) -> None:
    """The menu of a signed-in account lists its pages in one fixed order, then the password."""
    client = app.test_client()
    sign_in(client, staff[account])

    html = Citizen(client).get("/staff/").html
    menu = html.split('aria-label="Personale"', 1)[1].split("</nav>", 1)[0]

    shown = [unescape(label) for label in re.findall(r"<a [^>]*>([^<]+)</a>", menu)]
    assert shown == [*labels, "Skift adgangskode"]
