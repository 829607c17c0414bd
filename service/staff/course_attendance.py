"""The course page's attendance: no-shows at the talks, closing as never came, group history.

Its section of the course page is ``staff/_course_attendance.html``, which
asks ``course_attendance(course_id)`` for what it shows; the rules are
``service.booking.talks`` and ``service.booking.attendance``. A refusal
shows the course page again with the reason at the top and a 4xx status,
so that ``@transactional`` rolls everything back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField
from wtforms.validators import AnyOf

from service import db
from service.booking import attendance, pathway, reach, talks
from service.core.clock import utcnow
from service.core.errors import DomainError, NotFound
from service.http.transaction import transactional
from service.identity.accounts import actor_of
from service.models import OPEN_STATUSES, BookingKind, BookingStatus, Course
from service.staff import courses, refusals
from service.staff.auth import CENTRE, current, staff_only
from service.staff.blueprint import blp

PRESENCE_NAMES = {
    attendance.Presence.ATTENDED: "Mødt",
    attendance.Presence.ABSENT: "Fraværende",
    attendance.Presence.NOT_RECORDED: "Ikke registreret",
    attendance.Presence.COMING: "Kommende møde",
    attendance.Presence.NOT_YET_MEMBER: "Ikke med i gruppen endnu",
    attendance.Presence.LEFT: "Ikke længere med i gruppen",
}
TALK_NAMES = {BookingKind.INTRO: "første samtale", BookingKind.CLOSING: "afsluttende samtale"}


@dataclass(frozen=True)
class Talk:
    """A booked talk whose time has begun: staff may record that the citizen did not come."""

    kind: str
    name: str
    starts_at: datetime


class NoShowForm(FlaskForm):
    """Which talk the citizen did not come to: a hidden value on each talk's button."""

    talk = HiddenField(
        validators=[AnyOf([BookingKind.INTRO.value, BookingKind.CLOSING.value], "Vælg en samtale.")]
    )


def _own(course_id: uuid.UUID) -> Course:
    """Return a course of the account's centre; another centre's is as good as missing (404)."""
    try:
        return reach.own(db.session(), actor_of(current()), Course, course_id)
    except NotFound:
        abort(404)


def course_attendance(course_id: uuid.UUID) -> dict[str, Any]:
    """Return what the course page's attendance section shows, for a course in reach."""
    course, now = _own(course_id), utcnow()
    open_course = course.status in OPEN_STATUSES
    missed = [
        Talk(booking.kind.value, TALK_NAMES[booking.kind], booking.slot.starts_at)
        for booking in course.bookings
        if open_course
        and booking.kind is not BookingKind.GROUP
        and booking.status is BookingStatus.BOOKED
        and booking.slot is not None
        and booking.slot.starts_at <= now
    ]
    return {
        "talks": missed,
        "never_came": talks.can_close_as_never_came(course),
        "groups": attendance.history(db.session(), actor_of(current()), course.id, now=now),
        "presence_names": PRESENCE_NAMES,
    }


@blp.context_processor
def _section() -> dict[str, Any]:
    """Let the staff templates ask for the section; it is read only where a page includes it."""
    return {"course_attendance": course_attendance}


def _refused(course: Course, error: DomainError) -> tuple[str, int]:
    """Show the course page again with the refusal at the top."""
    if error.kind == "not_found":
        abort(404)
    flash(refusals.wording(error))
    return courses.course_page(course, 409)


@blp.post("/courses/<uuid:course_id>/no-show")
@staff_only(*CENTRE)
@transactional
def record_no_show(course_id: uuid.UUID) -> tuple[str, int] | Response:
    """Record that the citizen did not come to a talk; another time can then be booked."""
    course, form = _own(course_id), NoShowForm()
    if not form.validate():
        flash(form.talk.errors[0] if form.talk.errors else refusals.FALLBACK)
        return courses.course_page(course, 422)
    kind = BookingKind(form.talk.data)
    try:
        talks.record_no_show(db.session(), actor_of(current()), course.id, kind, now=utcnow())
    except DomainError as error:
        return _refused(course, error)
    flash(f"Udeblivelse fra {TALK_NAMES[kind]} er registreret.")
    return redirect(url_for("staff.course", course_id=course.id), code=303)


@blp.post("/courses/<uuid:course_id>/never-came")
@staff_only(*CENTRE)
@transactional
def close_never_came(course_id: uuid.UUID) -> tuple[str, int] | Response:
    """Close a requested course whose citizen did not come to the intro talk."""
    course = _own(course_id)
    try:
        pathway.record_outcome(
            db.session(), actor_of(current()), course.id, pathway.Outcome.NEVER_CAME, now=utcnow()
        )
    except DomainError as error:
        return _refused(course, error)
    flash("Forløbet er afsluttet: borgeren udeblev fra første samtale.")
    return redirect(url_for("staff.course", course_id=course.id), code=303)
