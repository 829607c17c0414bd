"""The access matrix's entries for one's own two-factor sign-in.

Every role may set up, reset or turn off its own; no route takes another
account, so none has a foreign object. The shared test configuration
requires TOTP of no role, so turning it off is allowed here.
"""

from __future__ import annotations

from service.models import Role
from tests.support.staff import PASSWORD, Route

EVERYONE = frozenset(Role)

ROUTES_TWO_FACTOR = [
    Route("get", "/staff/two-factor", EVERYONE, foreign_status=None),
    # A static form holds no sealed secret: the page refuses it next to the
    # field and offers a new one (422), which is past the role check all the same.
    Route(
        "post",
        "/staff/two-factor",
        EVERYONE,
        form={"code": "123456"},
        foreign_status=None,
        ok=(422,),
        page="/staff/two-factor",
    ),
    Route(
        "post",
        "/staff/two-factor/reset",
        EVERYONE,
        form={"password": PASSWORD},
        foreign_status=None,
        page="/staff/two-factor",
        enrolled=True,
    ),
    Route(
        "post",
        "/staff/two-factor/off",
        EVERYONE,
        form={"password": PASSWORD},
        foreign_status=None,
        page="/staff/two-factor",
        enrolled=True,
    ),
]
