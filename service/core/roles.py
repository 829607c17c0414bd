"""The roles of staff accounts, named once for the models, the rules and the configuration."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What a staff account may do, and where (SPEC section 2)."""

    STAFF = "staff"  # one centre: slots, groups, decisions, attendance
    CENTRE_ADMIN = "centre_admin"  # as staff, plus the centre's accounts and audit trail
    COORDINATOR = "coordinator"  # one municipality: its contracts and aggregate numbers
    ADMIN = "admin"  # centres, accounts, API keys
