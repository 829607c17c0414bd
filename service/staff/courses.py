"""The centre's courses: decisions, outcomes, a new token in person, and booking for a caller."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import catalogue, directory, pathway, reach
from service.core.clock import local_today, utcnow
from service.core.errors import DomainError, NotContracted, NotFound, SlotUnavailable
from service.http.keyring import keyring
from service.http.presenters import course_payload
from service.http.transaction import transactional
from service.identity.accounts import actor_of
from service.models import Course, CourseStatus, SlotKind
from service.staff import refusals
from service.staff.auth import CENTRE, current, own_centre, staff_only
from service.staff.blueprint import blp
from service.staff.course_forms import (
    DecisionForm,
    MunicipalityChoiceForm,
    OutcomeForm,
    PhoneBookingForm,
)
from service.staff.pages import page, when

STATUS_NAMES = {
    "requested": "Venter på første samtale",
    "approved": "Godkendt",
    "active": "I gruppe",
    "referred": "Henvist",
    "completed": "Gennemført",
    "dropped": "Afbrudt",
    "cancelled": "Aflyst",
    "never_came": "Udeblev fra første samtale",
}
BOOKING_NAMES = {
    "booked": "booket",
    "waitlisted": "på venteliste",
    "cancelled": "aflyst",
    "attended": "mødt",
    "no_show": "udeblev",
}


def _own(course_id: uuid.UUID) -> Course:
    """Return a course of the account's centre; another centre's is as good as missing (404)."""
    try:
        return reach.own(db.session(), actor_of(current()), Course, course_id)
    except NotFound:
        abort(404)


@blp.get("/courses")
@staff_only(*CENTRE)
def courses() -> tuple[str, int]:
    """The centre's courses, newest request first, by reference only."""
    wanted = request.args.get("status")
    status = CourseStatus(wanted) if wanted in STATUS_NAMES else None
    found = pathway.centre_courses(db.session(), actor_of(current()), own_centre(), status=status)
    return page("staff/courses.html", courses=found, shown=wanted, names=STATUS_NAMES)


def course_page(
    course: Course, status: int = 200, *, kept: dict[str, Any] | None = None, **forms: Any
) -> tuple[str, int]:
    """Render a course page; ``forms`` and ``kept`` carry refused forms back to their sections.

    ``decision`` and ``outcome`` are this module's forms; ``kept`` holds the
    on-behalf section's forms by step (``service.staff.on_behalf``).
    """
    return page(
        "staff/course.html",
        status=status,
        course=course_payload(db.session(), course),
        home=directory.municipality(db.session(), course.home_municipality),
        names=STATUS_NAMES,
        booking_names=BOOKING_NAMES,
        decision=forms.get("decision") or DecisionForm(),
        outcome=forms.get("outcome") or OutcomeForm(),
        kept=kept or {},
    )


@blp.get("/courses/<uuid:course_id>")
@staff_only(*CENTRE)
def course(course_id: uuid.UUID) -> tuple[str, int]:
    """One course: its talks, group and waitlist place, and what staff can record."""
    return course_page(_own(course_id))


@blp.post("/courses/<uuid:course_id>/decision")
@staff_only(*CENTRE)
@transactional
def decide(course_id: uuid.UUID) -> tuple[str, int] | Response:
    """Record the decision after the intro talk."""
    course, form = _own(course_id), DecisionForm()
    if not form.validate():
        return course_page(course, 422, decision=form)
    try:
        pathway.decide(
            db.session(),
            actor_of(current()),
            course.id,
            pathway.Decision(form.decision.data),
            now=utcnow(),
        )
    except DomainError as error:
        form.decision.errors = [refusals.wording(error)]
        return course_page(course, 409, decision=form)
    flash("Afgørelsen er gemt.")
    return redirect(url_for("staff.course", course_id=course.id), code=303)


@blp.post("/courses/<uuid:course_id>/outcome")
@staff_only(*CENTRE)
@transactional
def close_course(course_id: uuid.UUID) -> tuple[str, int] | Response:
    """Close the course as completed or dropped; its future bookings are freed."""
    course, form = _own(course_id), OutcomeForm()
    if not form.validate():
        return course_page(course, 422, outcome=form)
    try:
        pathway.record_outcome(
            db.session(),
            actor_of(current()),
            course.id,
            pathway.Outcome(form.outcome.data),
            now=utcnow(),
        )
    except DomainError as error:
        form.outcome.errors = [refusals.wording(error)]
        return course_page(course, 409, outcome=form)
    flash("Forløbet er afsluttet.")
    return redirect(url_for("staff.course", course_id=course.id), code=303)


@blp.post("/courses/<uuid:course_id>/token")
@staff_only(*CENTRE)
@transactional
def replace_token(course_id: uuid.UUID) -> tuple[str, int]:
    """Give the citizen who stands here a new code; the old one stops working at once."""
    course = _own(course_id)
    try:
        token, _ = pathway.replace_token(
            db.session(), keyring(), actor_of(current()), course.id, now=utcnow()
        )
    except DomainError as error:
        flash(refusals.wording(error))
        return course_page(course, 409)
    return page("staff/token.html", token=token, reference=course.reference)


def _phone_forms(
    code: str | None, form: PhoneBookingForm | None = None
) -> tuple[MunicipalityChoiceForm, PhoneBookingForm]:
    """Return the municipality choice (GET) and the booking form (POST) with their choices.

    The choice lists every municipality; the booking form the centre's free
    intro times once a municipality that contracts the centre is chosen.
    """
    session, now, centre_id = db.session(), utcnow(), own_centre()
    choice = MunicipalityChoiceForm(formdata=None, data={"municipality": code or ""})
    form = form or PhoneBookingForm(formdata=None, data={"municipality": code or ""})
    options = [SelectChoice(m.code, m.name) for m in catalogue.municipalities_by_name(session)]
    choice.municipality.choices = [SelectChoice("", "Vælg kommunen"), *options]
    form.municipality.choices = options
    form.slot.choices = []
    if code:
        contracted = directory.contracted_centres(session, code, on=local_today(now))
        if all(centre.id != centre_id for centre in contracted):
            choice.municipality.errors = [refusals.wording(NotContracted())]
            return choice, form
        slots = catalogue.free_slots(session, centre_id, SlotKind.INTRO, now=now, home=code)
        form.slot.choices = [SelectChoice(str(slot.id), when(slot.starts_at)) for slot in slots]
    return choice, form


def _phone_page(
    choice: MunicipalityChoiceForm, form: PhoneBookingForm, code: str | None, status: int = 200
) -> tuple[str, int]:
    return page("staff/phone_booking.html", status=status, choice=choice, form=form, chosen=code)


@blp.get("/book")
@staff_only(*CENTRE)
def phone_booking() -> tuple[str, int]:
    """Book for a citizen on the phone: the same steps as the citizen's form."""
    code = request.args.get("municipality") or None
    return _phone_page(*_phone_forms(code), code)


@blp.post("/book")
@staff_only(*CENTRE)
@transactional
def book_for_caller() -> tuple[str, int]:
    """Book the intro; the code is shown once, for staff to read out."""
    posted = PhoneBookingForm()
    code = posted.municipality.data or None
    choice, form = _phone_forms(code, posted)
    if not form.validate() or choice.municipality.errors or code is None:
        return _phone_page(choice, form, code, 422)
    try:
        token, course = pathway.book_for_caller(
            db.session(),
            keyring(),
            actor_of(current()),
            home_municipality=code,
            intro_slot_id=uuid.UUID(form.slot.data),
            now=utcnow(),
        )
    except (DomainError, ValueError) as error:
        refused = error if isinstance(error, DomainError) else SlotUnavailable()
        choice, form = _phone_forms(code, form)
        form.slot.errors = [refusals.wording(refused)]
        return _phone_page(choice, form, code, 409)
    return page("staff/token.html", token=token, reference=course.reference)
