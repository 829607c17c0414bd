"""The access matrix's entries for the billing pages ("Afregning").

Centre admins see their centre's courses, coordinators their municipality's
counts and administrators any municipality's; centre staff are refused, as
billing is an administrative task. The routes take no object in the path:
a coordinator who asks for another municipality's counts gets 404
(tests/integration/test_staff_billing.py).
"""

from __future__ import annotations

from service.models import Role
from tests.support.staff import Route

BILLING = frozenset({Role.CENTRE_ADMIN, Role.COORDINATOR, Role.ADMIN})

ROUTES_BILLING = [
    Route("get", "/staff/billing", BILLING, foreign_status=None),
    Route("get", "/staff/billing.csv", BILLING, foreign_status=None),
]
