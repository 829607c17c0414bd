"""The audit trail of staff and service actions: never a token, never an address.

What is committed is decided here, in the rules, not by an HTTP status.
An action's event joins the caller's transaction (``record``): the edge
commits it with the action's effect when the request succeeds, and a
failing request keeps neither. A refusal that must stay in the trail
(a refused sign-in, a refused second-factor code) is the one exception:
the rule that refuses calls ``record_refusal`` before it raises, which
ends the caller's transaction (rolled back: a refused request keeps
nothing else) and commits the event alone, in a short transaction of its
own. The edge then rolls back an empty transaction; no view commits by
hand. The caller's transaction is ended rather than a second one opened
beside it because on SQLite the first write lock would wait for itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from service.core.errors import NotFound
from service.identity.actors import Actor
from service.models import (
    ApiKey,
    AuditEvent,
    Centre,
    Course,
    Group,
    GroupSession,
    StaffAccount,
)

PER_PAGE = 50


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: uuid.UUID | None,
    centre_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Add one audit event to the current transaction."""
    session.add(
        AuditEvent(
            at=now,
            actor_kind=actor.kind,
            actor_id=actor.id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            centre_id=centre_id,
        )
    )


def record_refusal(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: uuid.UUID | None,
    centre_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Roll the caller's transaction back and commit one refusal's event on its own."""
    session.rollback()
    record(
        session,
        actor,
        action,
        object_type=object_type,
        object_id=object_id,
        centre_id=centre_id,
        now=now,
    )
    session.commit()


@dataclass(frozen=True)
class Trail:
    """One page of the audit trail, newest first, with the names of its actors and objects."""

    events: list[AuditEvent]
    names: dict[uuid.UUID, str]
    meetings: dict[uuid.UUID, tuple[str, int]]
    more: bool


def _reach(actor: Actor) -> ColumnElement[bool]:
    """Return the events an actor may read: its centre's, or all for an unbound staff actor."""
    if actor.centre_id is not None:
        return AuditEvent.centre_id == actor.centre_id
    if actor.municipality_code is not None:
        raise NotFound()
    return true()


def trail(session: Session, actor: Actor, page: int) -> Trail:
    """Return one page (from 1) of the events within the actor's reach, newest first."""
    found = list(
        session.scalars(
            select(AuditEvent)
            .where(_reach(actor))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE + 1)
        )
    )
    events = found[:PER_PAGE]
    ids = {e.actor_id for e in events if e.actor_id} | {e.object_id for e in events if e.object_id}
    return Trail(
        events=events,
        names=_names(session, ids),
        meetings=_meetings(session, ids),
        more=len(found) > PER_PAGE,
    )


def _names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Name the actors and objects of the events: usernames, key, centre and group names."""
    if not ids:
        return {}
    found = dict[uuid.UUID, str]()
    for model, label in (
        (StaffAccount, StaffAccount.username),
        (ApiKey, ApiKey.name),
        (Centre, Centre.name),
        (Group, Group.name),
        (Course, Course.reference),
    ):
        named = session.execute(select(model.id, label).where(model.id.in_(ids)))
        found.update((object_id, name) for object_id, name in named)
    return found


def _meetings(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, int]]:
    """Name the group sessions among the objects: their group's name and their number."""
    if not ids:
        return {}
    rows = session.execute(
        select(GroupSession.id, Group.name, GroupSession.number)
        .join(Group, Group.id == GroupSession.group_id)
        .where(GroupSession.id.in_(ids))
    )
    return {meeting: (name, number) for meeting, name, number in rows}
