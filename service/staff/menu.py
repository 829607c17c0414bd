"""The staff menu, declared in one place: each page's endpoint, its label and who sees it.

The order of ``MENU`` is the order on the page. An entry's roles are roles
its view admits (``staff_only``), so a link never leads to a refusal; the day
view admits every role as the home page but is a menu entry for centres only.
"""

from __future__ import annotations

from typing import NamedTuple

from service.models import Role
from service.staff.admin_common import MANAGERS
from service.staff.auth import BILLING, CENTRE, EVERYONE, STATISTICS


class MenuEntry(NamedTuple):
    """One link of the menu: the endpoint it opens, its Danish label, the roles that see it."""

    endpoint: str
    label: str
    roles: frozenset[Role]


def _entry(endpoint: str, label: str, roles: tuple[Role, ...]) -> MenuEntry:
    return MenuEntry(endpoint, label, frozenset(roles))


MENU: tuple[MenuEntry, ...] = (
    _entry("staff.accounts", "Konti", MANAGERS),
    _entry("staff.centres", "Steder", (Role.ADMIN,)),
    _entry("staff.api_keys", "API-nøgler", (Role.ADMIN,)),
    _entry("staff.audit", "Log", MANAGERS),
    _entry("staff.courses", "Forløb", CENTRE),
    _entry("staff.phone_booking", "Book for en borger", CENTRE),
    _entry("staff.contracts", "Kontrakter", (Role.COORDINATOR, Role.ADMIN)),
    _entry("staff.statistics", "Statistik", STATISTICS),
    _entry("staff.billing_page", "Afregning", BILLING),
    _entry("staff.slots", "Tider", CENTRE),
    _entry("staff.groups", "Grupper", CENTRE),
    _entry("staff.two_factor", "Totrinslogin", EVERYONE),
    _entry("staff.day", "I dag", CENTRE),
)
