"""The access matrix's entries for the contract and centre pages.

{municipality} is København (101), whose coordinator is the tests' own; the
other municipality's coordinator gets 404 for it. {contract} is København's
contract with centre A, {centre} centre A. Administrators reach every
municipality and centre, so no foreign one exists for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.core.clock import local_today
from service.models import Role
from tests.support.staff import Route

ADMIN = frozenset({Role.ADMIN})
MANAGE = frozenset({Role.COORDINATOR, Role.ADMIN})
# A day some way ahead, so the forms are valid whenever the tests run.
AHEAD = local_today(datetime.now(UTC)) + timedelta(days=60)
CENTRE_FORM = {
    "name": "Center Nord",
    "address": "Nørrebrogade 1, 2200 København N",
    "entrance": "Gården, dør C.",
    "entrance_en": "The yard, door C.",
    "opening_hours": "Man-fre 9-17",
    "opening_hours_en": "Mon-Fri 9-17",
    "languages": "da en",
}

ROUTES_CONTRACTS = [
    Route("get", "/staff/contracts", MANAGE, foreign_status=None),
    Route("get", "/staff/contracts/{municipality}", MANAGE),
    # Centre C has no contract with København yet.
    Route(
        "post",
        "/staff/contracts/{municipality}",
        MANAGE,
        form={"centre": "{centre_c}", "valid_from": AHEAD.isoformat()},
        page="/staff/contracts/{municipality}",
    ),
    Route(
        "post",
        "/staff/contracts/{municipality}/end",
        MANAGE,
        form={"contract": "{contract}", "ends_on": AHEAD.isoformat()},
        page="/staff/contracts/{municipality}",
        # København keeps one provider: the warning page, which saves nothing.
        ok=(409,),
    ),
    Route("get", "/staff/centres", ADMIN, foreign_status=None),
    Route(
        "post",
        "/staff/centres",
        ADMIN,
        form={**CENTRE_FORM, "municipality": "{municipality}"},
        foreign_status=None,
        page="/staff/centres",
    ),
    Route("get", "/staff/centres/{centre}", ADMIN, foreign_status=None),
    Route(
        "post",
        "/staff/centres/{centre}",
        ADMIN,
        form=CENTRE_FORM,
        foreign_status=None,
        page="/staff/centres/{centre}",
    ),
    Route(
        "post",
        "/staff/centres/{centre}/close",
        ADMIN,
        form={"closed_from": AHEAD.isoformat()},
        foreign_status=None,
        page="/staff/centres/{centre}",
        # København and Frederiksberg keep one provider each: the warning page.
        ok=(409,),
    ),
]
