"""The audit trail: who did what to which object, and when, in Danish.

Administrators read the whole trail; a centre's administrator reads only
its own centre's. Actors and objects are shown by name (username, key,
centre, group, course reference), never by their bare id alone.
"""

from __future__ import annotations

import uuid

from flask import request
from sqlalchemy import select

from service import db
from service.models import (
    ApiKey,
    AuditEvent,
    Centre,
    Course,
    Group,
    GroupSession,
    Role,
    StaffAccount,
)
from service.staff.admin_common import MANAGERS
from service.staff.auth import current, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page

PER_PAGE = 50

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
    "course.token_replaced": "Ny kode udleveret",
    "course.booked_for_caller": "Booket for en borger i telefonen",
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
}
OBJECTS = {
    "account": "Konto",
    "centre": "Sted",
    "api_key": "API-nøgle",
    "course": "Forløb",
    "group": "Gruppe",
    "group_session": "Gruppemøde",
    "slot": "Tid",
}


def _names(events: list[AuditEvent]) -> dict[uuid.UUID, str]:
    """Name the actors and objects of the events: usernames, key, centre and group names."""
    ids = {e.actor_id for e in events if e.actor_id} | {e.object_id for e in events if e.object_id}
    if not ids:
        return {}
    session, found = db.session(), dict[uuid.UUID, str]()
    for model, label in (
        (StaffAccount, StaffAccount.username),
        (ApiKey, ApiKey.name),
        (Centre, Centre.name),
        (Group, Group.name),
        (Course, Course.reference),
    ):
        named = session.execute(select(model.id, label).where(model.id.in_(ids)))
        found.update((object_id, name) for object_id, name in named)
    meetings = session.execute(
        select(GroupSession.id, Group.name, GroupSession.number)
        .join(Group, Group.id == GroupSession.group_id)
        .where(GroupSession.id.in_(ids))
    )
    found.update((meeting, f"{name}, møde {number}") for meeting, name, number in meetings)
    return found


def _action(action: str) -> str:
    name, _, count = action.partition(":")
    label = ACTIONS.get(name, action)
    return f"{label} ({count})" if count else label


@blp.get("/audit")
@staff_only(*MANAGERS)
def audit() -> tuple[str, int]:
    """Who did what to which object, and when: newest first, 50 to a page."""
    manager = current()
    number = request.args.get("side", "1")
    side = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if manager.role is not Role.ADMIN:
        query = query.where(AuditEvent.centre_id == manager.centre_id)
    found = list(db.session().scalars(query.offset((side - 1) * PER_PAGE).limit(PER_PAGE + 1)))
    events = found[:PER_PAGE]
    return page(
        "staff/admin_audit.html",
        events=events,
        names=_names(events),
        action=_action,
        objects=OBJECTS,
        side=side,
        more=len(found) > PER_PAGE,
    )
