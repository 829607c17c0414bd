"""Planning at the centre: one session of a group, moving it and recording its attendance.

A session is moved before it begins, e.g. away from a holiday, and its
attendance is recorded once it has begun. The rules
(``service.booking.schedule``) decide, and ``schedule_common`` puts their
refusals into Danish.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import attendance as presence
from service.booking import schedule as planning
from service.booking.holidays import holiday_at
from service.core.clock import LOCAL, local_to_utc, utcnow
from service.core.errors import DomainError
from service.http.transaction import transactional
from service.models import Group, GroupSession
from service.staff.auth import CENTRE, staff_only
from service.staff.blueprint import blp
from service.staff.pages import page, when
from service.staff.schedule_common import Answer, current_actor, own_group, refused
from service.staff.schedule_forms import AttendanceForm, MoveForm


def _own_meeting(group_id: uuid.UUID, session_id: uuid.UUID) -> tuple[Group, GroupSession]:
    group = own_group(group_id)
    meeting = next((each for each in group.sessions if each.id == session_id), None)
    if meeting is None:
        abort(404)
    return group, meeting


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
        holiday=holiday_at(meeting.starts_at),
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
    """Move the session; the group's sessions are numbered in time order again.

    A new date that is a holiday needs the form's confirmation box ticked.
    """
    group, meeting = _own_meeting(group_id, session_id)
    form = MoveForm()
    if not form.validate():
        return _move_page(group, meeting, form, 422)
    try:
        start = local_to_utc(form.day.data, form.start.data)
        planning.move_session(
            db.session(),
            current_actor(),
            group.id,
            meeting.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=form.minutes.data),
            now=utcnow(),
            onto_holiday=bool(form.onto_holiday.data),
        )
    except DomainError as error:
        status, problem = refused(form, error)
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
    marks = presence.marks_of(session, meeting.id)
    if form is None:
        form = AttendanceForm(present=[str(c) for c, present in marks.items() if present])
    members = presence.meeting_list(session, current_actor(), group.id, meeting.id)
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
    """A check box per member on the session's list: who came to this session."""
    return _attendance_page(*_own_meeting(group_id, session_id))


@blp.post("/groups/<uuid:group_id>/sessions/<uuid:session_id>/attendance")
@staff_only(*CENTRE)
@transactional
def save_attendance(group_id: uuid.UUID, session_id: uuid.UUID) -> Answer | Response:
    """Record each member present (ticked) or absent (not ticked); saving again overwrites.

    The members are those on the session's list: a member whose place was
    granted after the session began is not on it and is not marked.
    """
    group, meeting = _own_meeting(group_id, session_id)
    session, actor = db.session(), current_actor()
    form = AttendanceForm()
    members = presence.meeting_list(session, actor, group.id, meeting.id)
    form.present.choices = [SelectChoice(str(seat.course_id), seat.reference) for seat in members]
    if not form.validate():
        return _attendance_page(group, meeting, form, 422)
    ticked = set(form.present.data or [])
    marks = [presence.Mark(seat.course_id, str(seat.course_id) in ticked) for seat in members]
    try:
        presence.record_attendance(session, actor, group.id, meeting.id, marks, now=utcnow())
    except DomainError as error:
        status, problem = refused(form, error)
        return _attendance_page(group, meeting, form, status, problem)
    flash(f"Fremmødet er gemt: {len(ticked)} af {len(members)} var til stede.")
    return redirect(url_for("staff.group", group_id=group.id), code=303)


@blp.post("/groups/<uuid:group_id>/sessions/<uuid:session_id>/attendance/all")
@staff_only(*CENTRE)
@transactional
def all_attended(group_id: uuid.UUID, session_id: uuid.UUID) -> Answer | Response:
    """Record every member on the session's list present ("Alle mødt"); then correct any one."""
    group, meeting = _own_meeting(group_id, session_id)
    try:
        marked = presence.record_all_present(
            db.session(), current_actor(), group.id, meeting.id, now=utcnow()
        )
    except DomainError as error:
        status, problem = refused(None, error)
        return _attendance_page(group, meeting, None, status, problem)
    flash(f"Alle {len(marked)} er registreret som mødt. Fjern krydset ved dem, der ikke kom.")
    return redirect(url_for("staff.attendance", group_id=group.id, session_id=meeting.id), code=303)
