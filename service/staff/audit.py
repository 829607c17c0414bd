"""The audit trail: who did what to which object, and when, in Danish.

Administrators read the whole trail; a centre's administrator reads only
its own centre's. Actors and objects are shown by name (username, key,
centre, group, course reference), never by their bare id alone.
"""

from __future__ import annotations

import uuid

from flask import request

from service import db
from service.identity import audit as audit_trail
from service.identity.accounts import actor_of
from service.staff.admin_common import MANAGERS
from service.staff.auth import current, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page

ACTIONS = {
    "account.created": "Konto oprettet",
    "account.deactivated": "Konto lukket",
    "account.password_set": "Adgangskode valgt",
    "centre.created": "Sted oprettet",
    "api_key.created": "API-nøgle oprettet",
    "api_key.revoked": "API-nøgle tilbagekaldt",
    "course.approved": "Godkendt efter første samtale",
    "course.referred": "Henvist til almindelig behandling",
    "course.completed": "Forløb gennemført",
    "course.dropped": "Forløb afbrudt",
    "course.cancelled": "Forløb aflyst før gruppen",
    "course.never_came": "Forløb afsluttet: udeblev fra første samtale",
    "course.intro_no_show": "Udeblev fra første samtale",
    "course.closing_no_show": "Udeblev fra afsluttende samtale",
    "course.token_replaced": "Ny kode udleveret",
    "course.booked_for_caller": "Booket for en borger i telefonen",
    "course.intro_booked_for_caller": "Første samtale booket for borgeren i telefonen",
    "course.intro_moved_for_caller": "Første samtale flyttet for borgeren i telefonen",
    "course.intro_cancelled_for_caller": "Første samtale aflyst for borgeren i telefonen",
    "course.group_joined_for_caller": "Plads i gruppe booket for borgeren i telefonen",
    "course.waitlisted_for_caller": "Sat på venteliste for borgeren i telefonen",
    "course.group_cancelled_for_caller": "Gruppeplads aflyst for borgeren i telefonen",
    "course.closing_booked_for_caller": "Afsluttende samtale booket for borgeren i telefonen",
    "course.closing_moved_for_caller": "Afsluttende samtale flyttet for borgeren i telefonen",
    "course.closing_cancelled_for_caller": "Afsluttende samtale aflyst for borgeren i telefonen",
    "group.created": "Gruppe oprettet",
    "group.updated": "Gruppe ændret",
    "attendance.recorded": "Fremmøde registreret",
    "slots.added": "Tider oprettet",
    "slot.removed": "Tid fjernet",
    "group_session.moved": "Gruppemøde flyttet",
    "account.two_factor_enrolled": "Totrinslogin slået til",
    "account.two_factor_disabled": "Totrinslogin slået fra",
    "account.two_factor_refused": "Forkert kode ved totrinslogin",
    "account.signed_in": "Logget ind",
    "account.signed_in_recovery": "Logget ind med en gendannelseskode",
    "account.signed_out": "Logget ud",
    "account.sign_in_refused": "Login afvist",
    "account.setup_code_issued": "Ny engangskode udstedt",
    "retention.purged": "Daglig sletning af udløbne data",
}
OBJECTS = {
    "account": "Konto",
    "centre": "Sted",
    "api_key": "API-nøgle",
    "course": "Forløb",
    "group": "Gruppe",
    "group_session": "Gruppemøde",
    "slot": "Tid",
    "retention": "Data",
}


def _names(found: audit_trail.Trail) -> dict[uuid.UUID, str]:
    meetings = {key: f"{group}, møde {n}" for key, (group, n) in found.meetings.items()}
    return found.names | meetings


def _action(action: str) -> str:
    name, _, count = action.partition(":")
    label = ACTIONS.get(name, action)
    return f"{label} ({count})" if count else label


@blp.get("/audit")
@staff_only(*MANAGERS)
def audit() -> tuple[str, int]:
    """Who did what to which object, and when: newest first, 50 to a page."""
    number = request.args.get("side", "1")
    side = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    found = audit_trail.trail(db.session(), actor_of(current()), side)
    return page(
        "staff/admin_audit.html",
        events=found.events,
        names=_names(found),
        action=_action,
        objects=OBJECTS,
        side=side,
        more=found.more,
    )
