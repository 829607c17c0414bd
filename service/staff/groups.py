"""Planning at the centre: groups with weekly sessions, their capacity and their intake.

Members and the waitlist are shown by course reference only. The rules
(``service.booking.schedule``) decide, and ``schedule_common`` puts their
refusals into Danish.
"""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from service import db
from service.booking import schedule as planning
from service.booking.holidays import holiday_at
from service.core.clock import utcnow
from service.core.errors import DomainError
from service.http.transaction import transactional
from service.models import Group
from service.staff.auth import CENTRE, own_centre, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page
from service.staff.schedule_common import (
    Answer,
    count,
    current_actor,
    own_group,
    pattern_times,
    refused,
    skipped_note,
)
from service.staff.schedule_forms import CapacityForm, GroupForm, IntakeForm

# A pattern whose every meeting falls on a holiday makes no group.
ALL_HOLIDAYS = "Alle møderne falder på helligdage. Sæt flueben for at holde dem alligevel."


def _group_form() -> GroupForm:
    return GroupForm(late_join_until=current_app.config["LATE_JOIN_UNTIL_SESSION"])


@blp.get("/groups/<uuid:group_id>/print")
@staff_only(*CENTRE)
def group_print(group_id: uuid.UUID) -> Answer:
    """The group's list to print: its name, its meeting dates and its members by reference."""
    group = own_group(group_id)
    return page(
        "staff/group_print.html",
        group=group,
        roster=planning.roster(db.session(), current_actor(), group.id),
        holiday_at=holiday_at,
    )


def _groups_page(
    form: GroupForm | None = None, status: int = 200, problem: str | None = None
) -> Answer:
    summaries = planning.centre_groups(db.session(), current_actor(), own_centre())
    return page(
        "staff/groups.html",
        status,
        groups=summaries,
        form=form or _group_form(),
        problem=problem,
    )


@blp.get("/groups")
@staff_only(*CENTRE)
def groups() -> Answer:
    """The centre's groups with their places and waitlists, and a form for a new one."""
    return _groups_page()


@blp.post("/groups")
@staff_only(*CENTRE)
@transactional
def add_group() -> Answer | Response:
    """Create a group with weekly sessions; a name that looks like a CPR number is refused."""
    form = _group_form()
    if not form.validate():
        return _groups_page(form, 422)
    sessions, holidays = pattern_times(form)
    if holidays and not sessions:
        form.weekdays.errors = [ALL_HOLIDAYS]
        return _groups_page(form, 422)
    try:
        group = planning.add_group(
            db.session(),
            current_actor(),
            own_centre(),
            name=form.name.data or "",
            capacity=form.capacity.data,
            intake_open=bool(form.intake_open.data),
            late_join_until=form.late_join_until.data,
            sessions=sessions,
            now=utcnow(),
        )
    except DomainError as error:
        return _groups_page(form, *refused(form, error))
    made = count(len(group.sessions), "møde", "møder")
    flash(f"Gruppen er oprettet med {made}.{skipped_note(holidays)}")
    return redirect(url_for("staff.group", group_id=group.id), code=303)


def _group_page(
    group: Group,
    status: int = 200,
    *,
    capacity: CapacityForm | None = None,
    intake: IntakeForm | None = None,
    problem: str | None = None,
) -> Answer:
    return page(
        "staff/group.html",
        status,
        group=group,
        roster=planning.roster(db.session(), current_actor(), group.id),
        capacity=capacity or CapacityForm(capacity=group.capacity),
        intake=intake or IntakeForm(intake="open" if group.intake_open else "closed"),
        holiday_at=holiday_at,
        on_holidays=[each for each in group.sessions if holiday_at(each.starts_at)],
        now=utcnow(),
        problem=problem,
    )


@blp.get("/groups/<uuid:group_id>")
@staff_only(*CENTRE)
def group(group_id: uuid.UUID) -> Answer:
    """One group: its sessions, members and waitlist by course reference, capacity and intake."""
    return _group_page(own_group(group_id))


@blp.post("/groups/<uuid:group_id>/capacity")
@staff_only(*CENTRE)
@transactional
def group_capacity(group_id: uuid.UUID) -> Answer | Response:
    """Change the capacity; raising it gives waiting citizens a place at once (SPEC rule 4)."""
    group, form = own_group(group_id), CapacityForm()
    if not form.validate():
        return _group_page(group, 422, capacity=form)
    session, actor = db.session(), current_actor()
    waiting = len(planning.roster(session, actor, group.id).waitlist)
    try:
        planning.update_group(
            session, actor, group.id, capacity=form.capacity.data, intake_open=None, now=utcnow()
        )
    except DomainError as error:
        status, problem = refused(form, error)
        return _group_page(group, status, capacity=form, problem=problem)
    promoted = waiting - len(planning.roster(session, actor, group.id).waitlist)
    message = f"Gruppen har nu {count(form.capacity.data, 'plads', 'pladser')}."
    if promoted > 0:  # a message only: a citizen may join the waitlist meanwhile
        message += f" {promoted} fra ventelisten har fået plads."
    flash(message)
    return redirect(url_for("staff.group", group_id=group.id), code=303)


@blp.post("/groups/<uuid:group_id>/intake")
@staff_only(*CENTRE)
@transactional
def group_intake(group_id: uuid.UUID) -> Answer | Response:
    """Open or close the group for new members."""
    group, form = own_group(group_id), IntakeForm()
    if not form.validate():
        return _group_page(group, 422, intake=form)
    opened = form.intake.data == "open"
    try:
        planning.update_group(
            db.session(), current_actor(), group.id, capacity=None, intake_open=opened, now=utcnow()
        )
    except DomainError as error:
        status, problem = refused(form, error)
        return _group_page(group, status, intake=form, problem=problem)
    flash("Gruppen er åben for nye deltagere." if opened else "Gruppen er lukket for nye.")
    return redirect(url_for("staff.group", group_id=group.id), code=303)
