"""Carrying a phone caller through the pathway: find the course by reference, book, move, cancel.

Each step posts from the course page's section ``staff/_course_on_behalf.html``
and calls one rule of ``service.booking.on_behalf``, which applies the
citizen's own rules and locks and writes the audit event. A refusal shows
the course page again, with the staff catalogue's wording by the field and
the choice kept, and a status that rolls the transaction back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import catalogue, on_behalf, reach
from service.booking.reservations import waitlist_position
from service.booking.steps import LIVE
from service.core.clock import utcnow
from service.core.errors import DomainError, GroupUnavailable, NotFound, SlotUnavailable
from service.http.transaction import transactional
from service.identity.accounts import actor_of
from service.models import (
    OPEN_STATUSES,
    Booking,
    BookingKind,
    BookingStatus,
    Course,
    Group,
    SlotKind,
)
from service.staff import refusals
from service.staff.auth import CENTRE, current, staff_only
from service.staff.blueprint import blp
from service.staff.courses import course_page
from service.staff.on_behalf_forms import CancelForm, GroupForm, ReferenceForm, TalkForm
from service.staff.pages import page, when

KINDS = {"intro": SlotKind.INTRO, "closing": SlotKind.CLOSING}
_STATUS = {"invalid": 422, "conflict": 409, "busy": 503}
LABELS = {"intro": "Tid til første samtale", "closing": "Tid til afsluttende samtale"}
CANCELLED = {
    "intro": "Den første samtale er aflyst.",
    "group": "Pladsen i gruppen er aflyst.",
    "closing": "Den afsluttende samtale er aflyst.",
}
BOOKED = {"intro": "Den første samtale er booket.", "closing": "Den afsluttende samtale er booket."}


@dataclass
class Section:
    """What the course page's section for a caller holds: the forms that apply now."""

    talks: dict[str, TalkForm] = field(default_factory=dict)
    moving: dict[str, bool] = field(default_factory=dict)
    group: GroupForm | None = None
    cancel: CancelForm | None = None
    # A refusal of a course that has ended meanwhile: no form to show it by.
    error: str | None = None


def _label(booking: Booking) -> str:
    if booking.kind is BookingKind.GROUP:
        group = db.session().get(Group, booking.group_id)
        name = group.name if group else ""
        if booking.status is BookingStatus.WAITLISTED:
            return f"Venteliste til {name} (nr. {waitlist_position(db.session(), booking)})"
        return f"Plads i {name}"
    start = when(booking.slot.starts_at) if booking.slot else ""
    talk = "Første samtale" if booking.kind is BookingKind.INTRO else "Afsluttende samtale"
    return f"{talk} {start}"


def _talk_form(course: Course, name: str, kept: TalkForm | None) -> TalkForm:
    form = kept or TalkForm(prefix=name, formdata=None)
    form.slot.label.text = LABELS[name]
    slots = catalogue.times_for(db.session(), course, KINDS[name], now=utcnow())
    form.slot.choices = [SelectChoice("", "Vælg en tid")] + [
        SelectChoice(str(slot.id), when(slot.starts_at)) for slot in slots
    ]
    return form


def _group_form(course: Course, kept: GroupForm | None) -> GroupForm:
    form = kept or GroupForm(prefix="group", formdata=None)
    views = catalogue.group_views(db.session(), [course.centre_id], now=utcnow())
    form.group.choices = [SelectChoice("", "Vælg en gruppe")] + [
        SelectChoice(
            str(view.group.id),
            f"{view.group.name}, første møde {when(view.group.sessions[0].starts_at)}: "
            + (
                (
                    f"{view.places_left} ledig plads"
                    if view.places_left == 1
                    else f"{view.places_left} ledige pladser"
                )
                if view.places_left > 0
                else f"fuld, venteliste ({view.waitlist} venter)"
            ),
        )
        for view in views
        if view.joinable
    ]
    return form


def section(course_id: uuid.UUID, kept: dict[str, Any]) -> Section:
    """Return the section of a course page: its forms, with a refused form's choice and error.

    Every step is offered while the course is open, in the order of the
    pathway; the rules say no to a step out of order, and the page shows why.
    """
    course = db.session().get_one(Course, course_id)
    found = Section()
    if course.status not in OPEN_STATUSES:
        refused = [e for form in kept.values() for errors in form.errors.values() for e in errors]
        found.error = refused[0] if refused else None
        return found
    live = [b for b in course.bookings if b.status in LIVE]
    kinds = {b.kind for b in live}
    found.talks["intro"] = _talk_form(course, "intro", kept.get("intro"))
    found.group = _group_form(course, kept.get("group"))
    found.talks["closing"] = _talk_form(course, "closing", kept.get("closing"))
    found.moving = {name: BookingKind(name) in kinds for name in found.talks}
    if live:
        found.cancel = kept.get("cancel") or CancelForm(prefix="cancel", formdata=None)
        found.cancel.kind.choices = [SelectChoice(b.kind.value, _label(b)) for b in live]
    return found


@blp.context_processor
def _section() -> dict[str, Any]:
    return {"on_behalf": section}


def _own(course_id: uuid.UUID) -> Course:
    try:
        return reach.own(db.session(), actor_of(current()), Course, course_id)
    except NotFound:
        abort(404)


def _refused(course: Course, status: int, **forms: Any) -> tuple[str, int]:
    """Show the course page again, the refused form's choice and error kept."""
    return course_page(course, status, kept=forms)


def _slot_id(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise SlotUnavailable(field="slot_id") from None


def _group_id(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise GroupUnavailable(field="group_id") from None


@blp.get("/courses/find")
@staff_only(*CENTRE)
def find() -> tuple[str, int] | Response:
    """Find a course of the centre by the reference the citizen reads out on the phone."""
    form = ReferenceForm(request.args, meta={"csrf": False})
    if "reference" not in request.args:
        return page("staff/course_find.html", form=form)
    if not form.validate():
        return page("staff/course_find.html", status=422, form=form)
    try:
        course = on_behalf.find_by_reference(
            db.session(), actor_of(current()), form.reference.data or ""
        )
    except DomainError as error:
        form.reference.errors = [
            refusals.wording(error, {"reference": "Intet forløb her har den reference."})
        ]
        return page("staff/course_find.html", status=_STATUS.get(error.kind, 404), form=form)
    return redirect(url_for("staff.course", course_id=course.id), code=303)


@blp.post("/courses/<uuid:course_id>/talks/intro", defaults={"name": "intro"})
@blp.post("/courses/<uuid:course_id>/talks/closing", defaults={"name": "closing"})
@staff_only(*CENTRE)
@transactional
def book_talk(course_id: uuid.UUID, name: str) -> tuple[str, int] | Response:
    """Book or move the caller's intro or closing talk."""
    course = _own(course_id)
    form = TalkForm(prefix=name)
    if not form.validate():
        return _refused(course, 422, **{name: form})
    try:
        on_behalf.book_talk(
            db.session(),
            actor_of(current()),
            course.id,
            _slot_id(form.slot.data),
            KINDS[name],
            now=utcnow(),
        )
    except DomainError as error:
        form.slot.errors = [refusals.wording(error)]
        return _refused(course, _STATUS.get(error.kind, 409), **{name: form})
    flash(BOOKED[name])
    return redirect(url_for("staff.course", course_id=course.id), code=303)


@blp.post("/courses/<uuid:course_id>/group")
@staff_only(*CENTRE)
@transactional
def join_group(course_id: uuid.UUID) -> tuple[str, int] | Response:
    """Give the caller a place in a group, or on its waitlist when it is full."""
    course = _own(course_id)
    form = GroupForm(prefix="group")
    if not form.validate():
        return _refused(course, 422, group=form)
    session = db.session()
    try:
        booking = on_behalf.join_group(
            session, actor_of(current()), course.id, _group_id(form.group.data), now=utcnow()
        )
    except DomainError as error:
        form.group.errors = [refusals.wording(error)]
        return _refused(course, _STATUS.get(error.kind, 409), group=form)
    if booking.status is BookingStatus.WAITLISTED:
        position = waitlist_position(session, booking)
        flash(f"Gruppen er fuld. Forløbet er nr. {position} på ventelisten.")
    else:
        flash("Forløbet har fået en plads i gruppen.")
    return redirect(url_for("staff.course", course_id=course.id), code=303)


@blp.post("/courses/<uuid:course_id>/cancel")
@staff_only(*CENTRE)
@transactional
def cancel(course_id: uuid.UUID) -> tuple[str, int] | Response:
    """Cancel the caller's intro or closing talk, or their group or waitlist place."""
    course = _own(course_id)
    form = CancelForm(prefix="cancel")
    if not form.validate():
        return _refused(course, 422, cancel=form)
    kind = BookingKind(form.kind.data)
    try:
        on_behalf.cancel(db.session(), actor_of(current()), course.id, kind, now=utcnow())
    except DomainError as error:
        form.kind.errors = [refusals.wording(error)]
        return _refused(course, _STATUS.get(error.kind, 409), cancel=form)
    flash(CANCELLED[kind.value])
    return redirect(url_for("staff.course", course_id=course.id), code=303)
