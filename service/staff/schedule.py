"""Planning at the centre: individual slots, groups, their sessions and attendance.

Every change goes through the rules in ``service.booking.schedule``, as the
API's does; a refusal is shown next to the field it concerns, with a 4xx
status so that ``@transactional`` rolls everything back. Another centre's
slot, group or session answers 404, as if it did not exist (SPEC P9).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from service import db
from service.api.transaction import transactional
from service.booking import schedule as planning
from service.booking.accounts import actor_of
from service.booking.actors import Actor
from service.booking.clock import LOCAL, local_to_utc, utcnow, weekly
from service.booking.errors import DomainError
from service.models import Group, GroupSession, Slot, SlotKind
from service.staff.auth import CENTRE, current, own_centre, staff_only
from service.staff.blueprint import blp
from service.staff.pages import nav_entry, page, when
from service.staff.schedule_forms import (
    KIND_NAMES,
    AttendanceForm,
    CapacityForm,
    GroupForm,
    IntakeForm,
    MoveForm,
    PatternForm,
    SlotForm,
)

nav_entry("staff.slots", "Tider", CENTRE)
nav_entry("staff.groups", "Grupper", CENTRE)

# The most slots one page lists.
SLOT_PAGE = 200

Answer = tuple[str, int]

# The rules' refusals in Danish, with the field each concerns (None: the page): first by
# the rule's own text, where one code covers several refusals, then by code and field.
_BY_TEXT: dict[str, tuple[str, str | None]] = {
    "Times must lie in the future.": ("Tiderne skal ligge i fremtiden.", "day"),
    "Each time must end after it starts, within 8 hours.": (
        "En tid skal vare fra 1 minut til 8 timer.",
        "minutes",
    ),
    "Two sessions of the group overlap.": ("To af gruppens møder ville overlappe.", "start"),
    "Give at least one time.": ("Mønsteret giver ingen tider.", "weekdays"),
    "A weekly pattern needs weekdays, a length and a number of weeks.": (
        "Vælg ugedage, en varighed og et antal uger.",
        "weekdays",
    ),
    "A session that has begun cannot be moved.": ("Mødet er begyndt og kan ikke flyttes.", None),
    "Attendance is recorded once the session has begun.": (
        "Fremmøde kan registreres, når mødet er begyndt.",
        None,
    ),
}
_BY_FIELD: dict[tuple[str, str], tuple[str, str | None]] = {
    # local_to_utc: the wall-clock time does not exist that day (spring clock change).
    ("invalid_schedule", "start_time"): (
        "Klokkeslættet findes ikke den dag (skift til sommertid).",
        "start",
    ),
    ("invalid_input", "capacity"): ("Der skal være mindst 1 plads.", "capacity"),
    ("invalid_input", "course_id"): ("Vælg blandt gruppens deltagere.", "present"),
}
_BY_CODE: dict[str, tuple[str, str | None]] = {
    "personal_data_refused": (
        "Navnet ligner et CPR-nummer. Diskret gemmer ingen personoplysninger: "
        "giv gruppen et neutralt navn.",
        "name",
    ),
    "booking_overlaps": ("Et medlem af gruppen har en samtale på det tidspunkt.", "start"),
    "closing_too_early": (
        "Et medlem har en afsluttende samtale før det nye tidspunkt. Flyt samtalen først.",
        "day",
    ),
    "slot_taken": ("Tiden er booket og kan ikke fjernes. Bookingen skal aflyses først.", None),
    "slot_unavailable": (
        "Tiden har været booket og er aflyst igen. Den bliver stående i forløbets historik.",
        None,
    ),
    "invalid_schedule": ("Tiderne giver ikke en gyldig plan.", "day"),
    "busy": ("Der er travlt lige nu, og intet blev gemt. Prøv igen om et øjeblik.", None),
}

_STATUS = {"invalid": 422, "conflict": 409, "busy": 503}


def _actor() -> Actor:
    return actor_of(current())


def _danish(error: DomainError) -> tuple[str, str | None]:
    """Return what to tell staff about a refusal, and the field it concerns (None: the page)."""
    if error.code == "capacity_below_booked":
        booked = error.data.get("booked")
        return f"{booked} pladser er booket; der kan ikke være færre pladser.", "capacity"
    found = (
        _BY_FIELD.get((error.code, str(error.data.get("field"))))
        or _BY_TEXT.get(error.text)
        or _BY_CODE.get(error.code)
    )
    return found or ("Det kunne ikke lade sig gøre.", None)


def _refused(form: FlaskForm | None, error: DomainError) -> tuple[int, str | None]:
    """Show a refusal next to its field (or return it for the page) and return the status."""
    if error.kind == "not_found":
        abort(404)
    text, field = _danish(error)
    if field == "day" and form is not None and "day" not in form:
        field = "first_day"
    status = _STATUS.get(error.kind, 409)
    if form is not None and field is not None and field in form:
        getattr(form, field).errors = [text]
        return status, None
    return status, text


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _own_slot(slot_id: uuid.UUID) -> Slot:
    """Return a slot of the account's centre; another centre's is as good as missing (404)."""
    slot = db.session().get(Slot, slot_id)
    if slot is None or slot.centre_id != own_centre():
        abort(404)
    return slot


def _own_group(group_id: uuid.UUID) -> Group:
    """Return a group of the account's centre; another centre's is as good as missing (404)."""
    group = db.session().get(Group, group_id)
    if group is None or group.centre_id != own_centre():
        abort(404)
    return group


def _own_meeting(group_id: uuid.UUID, session_id: uuid.UUID) -> tuple[Group, GroupSession]:
    group = _own_group(group_id)
    meeting = next((each for each in group.sessions if each.id == session_id), None)
    if meeting is None:
        abort(404)
    return group, meeting


def _pattern(form: GroupForm | PatternForm) -> list[tuple[datetime, datetime]]:
    """Return the UTC times of a form's weekly pattern (the rules refuse impossible ones)."""
    return list(
        weekly(
            first_day=form.first_day.data,
            weekdays=form.weekdays.weekdays(),
            start=form.start.data,
            minutes=form.minutes.data,
            weeks=form.weeks.data,
        )
    )


# Individual slots


def _slots_page(
    form: SlotForm | None = None, status: int = 200, problem: str | None = None
) -> Answer:
    planned = planning.centre_slots(
        db.session(), _actor(), own_centre(), now=utcnow(), limit=SLOT_PAGE
    )
    return page(
        "staff/schedule_slots.html",
        status,
        form=form or SlotForm(),
        slots=planned,
        full=len(planned) == SLOT_PAGE,
        kinds=KIND_NAMES,
        problem=problem,
    )


@blp.get("/slots")
@staff_only(*CENTRE)
def slots() -> Answer:
    """The centre's coming slots, who holds each by course reference, and a form to add one."""
    return _slots_page()


@blp.post("/slots")
@staff_only(*CENTRE)
@transactional
def add_slot() -> Answer | Response:
    """Add one slot at a Copenhagen date and time."""
    form = SlotForm()
    if not form.validate():
        return _slots_page(form, 422)
    try:
        start = local_to_utc(form.day.data, form.start.data)
        created = planning.add_slots(
            db.session(),
            _actor(),
            own_centre(),
            SlotKind(form.kind.data),
            [(start, start + timedelta(minutes=form.minutes.data))],
            now=utcnow(),
        )
    except DomainError as error:
        return _slots_page(form, *_refused(form, error))
    if not created:
        form.start.errors = ["Der er allerede en tid af den slags på det tidspunkt."]
        return _slots_page(form, 409)
    flash(f"Tiden {when(start)} er tilføjet.")
    return redirect(url_for("staff.slots"), code=303)


def _pattern_page(form: PatternForm, status: int = 200, problem: str | None = None) -> Answer:
    return page("staff/schedule_pattern.html", status, form=form, problem=problem)


@blp.get("/slots/pattern")
@staff_only(*CENTRE)
def slot_pattern_form() -> Answer:
    """Add slots by a weekly pattern."""
    return _pattern_page(PatternForm())


@blp.post("/slots/pattern")
@staff_only(*CENTRE)
@transactional
def add_slot_pattern() -> Answer | Response:
    """Add the pattern's slots; times the centre already has for that kind are skipped."""
    form = PatternForm()
    if not form.validate():
        return _pattern_page(form, 422)
    try:
        times = _pattern(form)
        created = planning.add_slots(
            db.session(), _actor(), own_centre(), SlotKind(form.kind.data), times, now=utcnow()
        )
    except DomainError as error:
        return _pattern_page(form, *_refused(form, error))
    if not created:
        form.start.errors = ["Stedet har allerede alle mønsterets tider."]
        return _pattern_page(form, 409)
    skipped = len(set(times)) - len(created)
    message = f"{_count(len(created), 'tid', 'tider')} er tilføjet."
    if skipped:
        message += f" {_count(skipped, 'tid', 'tider')} fandtes allerede og blev sprunget over."
    flash(message)
    return redirect(url_for("staff.slots"), code=303)


@blp.post("/slots/<uuid:slot_id>/remove")
@staff_only(*CENTRE)
@transactional
def remove_slot(slot_id: uuid.UUID) -> Answer | Response:
    """Remove a free slot; a booked one stays."""
    slot = _own_slot(slot_id)
    shown = when(slot.starts_at)
    try:
        planning.remove_slot(db.session(), _actor(), slot.id, now=utcnow())
    except DomainError as error:
        status, problem = _refused(None, error)
        return _slots_page(status=status, problem=f"{shown}: {problem}")
    flash(f"Tiden {shown} er fjernet.")
    return redirect(url_for("staff.slots"), code=303)


# Groups


def _group_form() -> GroupForm:
    return GroupForm(late_join_until=current_app.config["LATE_JOIN_UNTIL_SESSION"])


def _groups_page(
    form: GroupForm | None = None, status: int = 200, problem: str | None = None
) -> Answer:
    summaries = planning.centre_groups(db.session(), _actor(), own_centre())
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
    try:
        group = planning.add_group(
            db.session(),
            _actor(),
            own_centre(),
            name=form.name.data or "",
            capacity=form.capacity.data,
            intake_open=bool(form.intake_open.data),
            late_join_until=form.late_join_until.data,
            sessions=_pattern(form),
            now=utcnow(),
        )
    except DomainError as error:
        return _groups_page(form, *_refused(form, error))
    flash(f"Gruppen er oprettet med {_count(len(group.sessions), 'møde', 'møder')}.")
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
        roster=planning.roster(db.session(), _actor(), group.id),
        capacity=capacity or CapacityForm(capacity=group.capacity),
        intake=intake or IntakeForm(intake="open" if group.intake_open else "closed"),
        now=utcnow(),
        problem=problem,
    )


@blp.get("/groups/<uuid:group_id>")
@staff_only(*CENTRE)
def group(group_id: uuid.UUID) -> Answer:
    """One group: its sessions, members and waitlist by course reference, capacity and intake."""
    return _group_page(_own_group(group_id))


@blp.post("/groups/<uuid:group_id>/capacity")
@staff_only(*CENTRE)
@transactional
def group_capacity(group_id: uuid.UUID) -> Answer | Response:
    """Change the capacity; raising it gives waiting citizens a place at once (SPEC rule 4)."""
    group, form = _own_group(group_id), CapacityForm()
    if not form.validate():
        return _group_page(group, 422, capacity=form)
    session, actor = db.session(), _actor()
    waiting = len(planning.roster(session, actor, group.id).waitlist)
    try:
        planning.update_group(
            session, actor, group.id, capacity=form.capacity.data, intake_open=None, now=utcnow()
        )
    except DomainError as error:
        status, problem = _refused(form, error)
        return _group_page(group, status, capacity=form, problem=problem)
    promoted = waiting - len(planning.roster(session, actor, group.id).waitlist)
    message = f"Gruppen har nu {_count(form.capacity.data, 'plads', 'pladser')}."
    if promoted > 0:  # a message only: a citizen may join the waitlist meanwhile
        message += f" {promoted} fra ventelisten har fået plads."
    flash(message)
    return redirect(url_for("staff.group", group_id=group.id), code=303)


@blp.post("/groups/<uuid:group_id>/intake")
@staff_only(*CENTRE)
@transactional
def group_intake(group_id: uuid.UUID) -> Answer | Response:
    """Open or close the group for new members."""
    group, form = _own_group(group_id), IntakeForm()
    if not form.validate():
        return _group_page(group, 422, intake=form)
    opened = form.intake.data == "open"
    try:
        planning.update_group(
            db.session(), _actor(), group.id, capacity=None, intake_open=opened, now=utcnow()
        )
    except DomainError as error:
        status, problem = _refused(form, error)
        return _group_page(group, status, intake=form, problem=problem)
    flash("Gruppen er åben for nye deltagere." if opened else "Gruppen er lukket for nye.")
    return redirect(url_for("staff.group", group_id=group.id), code=303)


# One session: moving it, and its attendance


def _move_page(
    group: Group,
    meeting: GroupSession,
    form: MoveForm,
    status: int = 200,
    problem: str | None = None,
) -> Answer:
    return page(
        "staff/group_move.html",
        status,
        group=group,
        meeting=meeting,
        form=form,
        begun=meeting.starts_at <= utcnow(),
        problem=problem,
    )


@blp.get("/groups/<uuid:group_id>/sessions/<uuid:session_id>/move")
@staff_only(*CENTRE)
def move_session_form(group_id: uuid.UUID, session_id: uuid.UUID) -> Answer:
    """Choose a new date and time for a session, e.g. away from a holiday."""
    group, meeting = _own_meeting(group_id, session_id)
    local = meeting.starts_at.astimezone(LOCAL)
    minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    form = MoveForm(day=local.date(), start=local.time(), minutes=minutes)
    return _move_page(group, meeting, form)


@blp.post("/groups/<uuid:group_id>/sessions/<uuid:session_id>/move")
@staff_only(*CENTRE)
@transactional
def move_session(group_id: uuid.UUID, session_id: uuid.UUID) -> Answer | Response:
    """Move the session; the group's sessions are numbered in time order again."""
    group, meeting = _own_meeting(group_id, session_id)
    form = MoveForm()
    if not form.validate():
        return _move_page(group, meeting, form, 422)
    try:
        start = local_to_utc(form.day.data, form.start.data)
        planning.move_session(
            db.session(),
            _actor(),
            group.id,
            meeting.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=form.minutes.data),
            now=utcnow(),
        )
    except DomainError as error:
        status, problem = _refused(form, error)
        return _move_page(group, meeting, form, status, problem)
    flash(f"Mødet er flyttet til {when(start)}.")
    return redirect(url_for("staff.group", group_id=group.id), code=303)


def _attendance_page(
    group: Group,
    meeting: GroupSession,
    form: AttendanceForm | None = None,
    status: int = 200,
    problem: str | None = None,
) -> Answer:
    session = db.session()
    marks = planning.marks_of(session, meeting.id)
    if form is None:
        form = AttendanceForm(present=[str(c) for c, present in marks.items() if present])
    members = planning.roster(session, _actor(), group.id).members
    form.present.choices = [SelectChoice(str(seat.course_id), seat.reference) for seat in members]
    return page(
        "staff/group_attendance.html",
        status,
        group=group,
        meeting=meeting,
        form=form,
        members=members,
        recorded=bool(marks),
        begun=meeting.starts_at <= utcnow(),
        problem=problem,
    )


@blp.get("/groups/<uuid:group_id>/sessions/<uuid:session_id>/attendance")
@staff_only(*CENTRE)
def attendance(group_id: uuid.UUID, session_id: uuid.UUID) -> Answer:
    """A check box per member of the group: who came to this session."""
    return _attendance_page(*_own_meeting(group_id, session_id))


@blp.post("/groups/<uuid:group_id>/sessions/<uuid:session_id>/attendance")
@staff_only(*CENTRE)
@transactional
def save_attendance(group_id: uuid.UUID, session_id: uuid.UUID) -> Answer | Response:
    """Record each member present (ticked) or absent (not ticked); saving again overwrites."""
    group, meeting = _own_meeting(group_id, session_id)
    session, actor = db.session(), _actor()
    form = AttendanceForm()
    members = planning.roster(session, actor, group.id).members
    form.present.choices = [SelectChoice(str(seat.course_id), seat.reference) for seat in members]
    if not form.validate():
        return _attendance_page(group, meeting, form, 422)
    ticked = set(form.present.data or [])
    marks = [planning.Mark(seat.course_id, str(seat.course_id) in ticked) for seat in members]
    try:
        planning.record_attendance(session, actor, group.id, meeting.id, marks, now=utcnow())
    except DomainError as error:
        status, problem = _refused(form, error)
        return _attendance_page(group, meeting, form, status, problem)
    flash(f"Fremmødet er gemt: {len(ticked)} af {len(members)} var til stede.")
    return redirect(url_for("staff.group", group_id=group.id), code=303)
