"""Staff accounts for the tests, signing them in, and the access matrix's route entries.

Every staff route appears in exactly one ``Route`` of a ``ROUTES_*`` list
(tests/support/staff_routes_*.py); tests/integration/test_staff_access.py
checks each against every role, for an object of the account's own centre or
municipality and for a foreign one, and fails on a staff route with no entry.

How staff form tests send a form: open the page that shows it and send that
form, ``submit(client, page, action, data)`` (or ``Citizen.submit`` on a page
already fetched). The CSRF token and hidden values are the form's own, and a
field the form lacks fails the test, so a form passes only if a browser
could send it. Signing in does the same with the login and code pages.
``forge`` is only for refusals, where no page offers the form to the account
(another centre's object, a role that may not, a button the state hides):
it sends a token borrowed from a page the account can see, as someone with a
session could. There is no other way to post.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from service.core.clock import local_today
from service.identity import accounts, two_factor
from service.models import Role, StaffAccount
from tests.support.pages import Citizen, Page
from tests.support.world import HOME, NEIGHBOUR, World

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Route:
    """One staff route: how to call it on an object in reach ("own") or out of it ("foreign").

    ``path`` may hold {own_centre}, {group}, {course}, {slot}, {session}, {account}
    (and {foreign_...} versions are derived by the harness); ``allowed`` are the
    roles that may use it on their own objects. ``foreign_status`` is what an
    allowed role gets for another centre's or municipality's object (404, as if
    it did not exist), or None where the route takes no object.
    """

    method: str
    path: str
    allowed: frozenset[Role]
    form: dict[str, str] = field(default_factory=dict)
    foreign_status: int | None = 404
    # An allowed call answers one of these (a page, a redirect after a change, a download).
    ok: tuple[int, ...] = (200, 303)
    # For a POST: the staff page that shows its form (placeholders as in ``path``; a query
    # string may follow). The matrix opens it and sends that form for every allowed role.
    page: str | None = None
    # The signed-in account has TOTP set up, as the page needs to show this form.
    enrolled: bool = False


@dataclass
class Staff:
    """The tests' staff: one account per role at centre A / København, and foreign ones."""

    accounts: dict[str, StaffAccount]

    def __getitem__(self, name: str) -> StaffAccount:
        return self.accounts[name]


def make_account(
    session: Session,
    username: str,
    role: Role,
    *,
    centre: uuid.UUID | None = None,
    municipality: str | None = None,
) -> StaffAccount:
    """Create an account with the tests' password, ready to sign in."""
    made = accounts.create(
        session,
        username=username,
        role=role,
        centre_id=centre,
        municipality_code=municipality,
        created_by=None,
        profile=crypto.TEST_PROFILE,
        now=datetime.now(UTC),
    )
    made.account.password_hash = crypto.hash_password(PASSWORD, profile=crypto.TEST_PROFILE)
    made.account.must_set_password = False
    session.flush()
    return made.account


def make_staff(session: Session, world: World) -> Staff:
    """Create staff and a centre admin at centres A and B, coordinators and an administrator."""
    staff = Staff(
        {
            "staff_a": make_account(session, "staff.a", Role.STAFF, centre=world.centre_a),
            "admin_a": make_account(session, "admin.a", Role.CENTRE_ADMIN, centre=world.centre_a),
            "staff_b": make_account(session, "staff.b", Role.STAFF, centre=world.centre_b),
            "admin_b": make_account(session, "admin.b", Role.CENTRE_ADMIN, centre=world.centre_b),
            "coordinator": make_account(session, "coord.home", Role.COORDINATOR, municipality=HOME),
            "coordinator_b": make_account(
                session, "coord.other", Role.COORDINATOR, municipality=NEIGHBOUR
            ),
            "admin": make_account(session, "admin", Role.ADMIN),
        }
    )
    session.commit()
    return staff


def sign_in(client: FlaskClient, account: StaffAccount, password: str = PASSWORD) -> Page:
    """Sign an account in through the login form; return the answer."""
    browser = Citizen(client)
    login = browser.get("/staff/login")
    return browser.submit(
        login, "/staff/login", {"username": account.username, "password": password}
    )


def enrol(
    session: Session, keyring: crypto.Keyring, account: StaffAccount, *, now: datetime
) -> tuple[str, list[str]]:
    """Set up TOTP for an account as of ``now`` (that step is used up); return secret and codes."""
    secret = two_factor.start_enrolment(account).secret
    codes = two_factor.confirm_enrolment(
        session,
        keyring,
        account,
        secret,
        totp_at(secret, now),
        profile=crypto.TEST_PROFILE,
        now=now,
    )
    session.commit()
    return secret, codes


def totp_at(secret: str, when: datetime) -> str:
    """Return the TOTP code an authenticator shows at an instant."""
    return pyotp.TOTP(secret).at(when)


def pending_of(page: Page) -> str:
    """Return the sealed value a page carries in its hidden "pending" field."""
    found = re.search(r'name="pending" type="hidden" value="([^"]*)"', page.html)
    assert found, "the page has no pending value"
    return unescape(found.group(1))


def answer_code(client: FlaskClient, code_page: Page, code: str) -> Page:
    """Send the code step of signing in: the code page's form, with its sealed "pending" value."""
    return Citizen(client).submit(code_page, "/staff/login/code", {"code": code})


def sign_in_with_code(
    client: FlaskClient, account: StaffAccount, code: str, password: str = PASSWORD
) -> Page:
    """Sign an account with TOTP in: the password, then the code; return the last answer."""
    code_page = sign_in(client, account, password)
    assert code_page.status == 200, "no code page after the password"
    return answer_code(client, code_page, code)


def submit(
    client: FlaskClient,
    page: str,
    action: str,
    data: dict[str, Any] | None = None,
    *,
    holding: dict[str, str] | None = None,
) -> Page:
    """Open the staff ``page`` that shows a form, and send that form to ``action`` as filled in.

    The token and hidden values are the form's own, so a form that a browser
    could not send (no token, a field it lacks) fails here as it would there.
    """
    browser = Citizen(client)
    shown = browser.get(page)
    assert shown.status == 200, f"{page} answered {shown.status}, not the page with the form"
    return browser.submit(shown, action, data or {}, holding=holding)


# The page every signed-in account can open, whose token ``forge`` borrows.
BORROWED_FROM = "/staff/password"


def forge(client: FlaskClient, action: str, data: dict[str, Any] | None = None) -> Page:
    """Send a POST that no page shows this account: a request crafted by hand.

    Only for refusals, where the page with the form is itself refused or does
    not offer it (another centre's object, a role that may not, a button the
    state hides, a field the account's form lacks). Someone with a session can
    send exactly this: a CSRF token borrowed from a page the account can see
    (``BORROWED_FROM``) and any fields. Everything an account is offered is
    sent with ``submit``.
    """
    browser = Citizen(client)
    return browser.post(action, data or {}, csrf=browser.get(BORROWED_FROM).csrf())


def fill(template: str, values: dict[str, str]) -> str:
    """Fill a route's placeholders."""
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], template)


ObjectMaker = Callable[[Session, World, str], dict[str, str]]


def objects(
    session: Session, world: World, course_id: str, extra_account: uuid.UUID
) -> dict[str, str]:
    """Return the placeholders of the matrix: objects of centre A and of municipality 101."""
    from service.models import (  # local: keeps this module light for route lists
        ApiKey,
        Contract,
        Group,
    )

    group = session.get_one(Group, world.group_a)
    key = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).first()
    assert key is not None, "the world has API keys"
    contract = session.scalar(
        select(Contract.id).where(
            Contract.municipality_code == HOME, Contract.centre_id == world.centre_a
        )
    )
    return {
        "centre": str(world.centre_a),
        "centre_c": str(world.centre_c),
        "group": str(world.group_a),
        "session": str(group.sessions[0].id),
        "course": course_id,
        "slot": str(world.intro_a[3]),
        "account": str(extra_account),
        "municipality": HOME,
        "api_key": str(key.id),
        "contract": str(contract),
    }


def group_form(now: datetime, **changes: Any) -> dict[str, Any]:
    """Return the new-group form as a person fills it in: 8 weekly meetings, two weeks ahead."""
    first = local_today(now) + timedelta(days=14)
    return {
        "name": "Onsdagsgruppen",
        "capacity": "6",
        "intake_open": "y",
        "late_join_until": "3",
        "first_day": first.isoformat(),
        "weekdays": [str(first.weekday())],
        "start": "17:00",
        "minutes": "90",
        "weeks": "8",
        **changes,
    }
