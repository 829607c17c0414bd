"""A citizen's own course: sign in with the code, see it, book, move, cancel, erase, sign out."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as Redirect
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import catalogue, pathway, reservations
from service.booking.steps import BOOK, MOVE, NextSteps, Step, next_steps
from service.core.clock import utcnow
from service.core.errors import DomainError, NotFound
from service.http.calendar import calendar_for
from service.http.csrf import protect
from service.http.keyring import keyring
from service.http.presenters import course_payload
from service.http.transaction import transactional
from service.limits import code_entry
from service.models import Booking, BookingKind, BookingStatus, Course, Group, Slot, SlotKind
from service.web import sessions
from service.web.common import page, when
from service.web.forms import CodeForm, ConfirmForm, SlotForm
from service.web.refusals import message_for

blp = Blueprint("course", __name__, template_folder="templates")
blp.before_request(protect)


def _course() -> Course:
    """Return the signed-in course, or send the browser to the code page."""
    return sessions.signed_in_course_or_code_page(db.session(), now=utcnow())


@blp.get("/code")
def enter_code() -> tuple[str, int]:
    """The "I have a code" page."""
    return page("code.html", form=CodeForm())


@blp.post("/code")
@code_entry
@transactional
def sign_in() -> tuple[str, int] | Redirect:
    """Check the code and start a session that holds only a reference to the course."""
    form = CodeForm()
    if not form.validate():
        return page("code.html", status=422, form=form)
    session, code = db.session(), form.code.data or ""
    try:
        course = pathway.course_for_token(session, keyring(), code)
    except DomainError as error:
        form.code.errors = [message_for(error)]
        return page("code.html", status=422, form=form)
    pathway.refresh_token_digest(session, course, keyring(), code)
    sessions.sign_in(session, course, now=utcnow())
    _tell_place_news(session, course)
    return redirect(url_for("course.show"), code=303)


def _tell_place_news(session: Session, course: Course) -> None:
    """Say once that a place came from the waitlist (SPEC rule 4); the news is then gone."""
    for group in reservations.take_place_news(session, course):
        flash(_("You have a place in %(name)s.", name=group.name))


def _offered(steps: NextSteps) -> dict[uuid.UUID, dict[str, bool]]:
    """Return, per live booking, whether the page offers to move it and to cancel it."""
    return {
        booking.id: {
            "move": booking.kind in MOVE and steps.allows(MOVE[booking.kind]),
            "cancel": steps.allows(steps.cancel_step(booking)),
        }
        for booking in steps.live.values()
    }


def _course_page(course: Course, status: int = 200, error: str | None = None) -> tuple[str, int]:
    session, now = db.session(), utcnow()
    steps = next_steps(session, course, now=now)
    joining = steps.allows(Step.JOIN_GROUP)
    groups = catalogue.group_views(session, [course.centre_id], now=now) if joining else []
    closing = steps.allows(Step.BOOK_CLOSING)
    # A place granted while this browser was signed in: shown until put away, as no GET writes.
    news = [
        session.get_one(Group, b.group_id).name
        for b in course.bookings
        if b.place_news and b.group_id
    ]
    return page(
        "course.html",
        status=status,
        error=error,
        course=course_payload(session, course),
        steps=steps,
        offered=_offered(steps),
        can_book_intro=steps.allows(Step.BOOK_INTRO),
        groups=[view for view in groups if view.joinable],
        can_book_closing=closing,
        closing_times=bool(_closing_times(course, steps)) if closing else False,
        news=news,
        form=ConfirmForm(),
    )


def _closing_times(course: Course, steps: NextSteps) -> list[Slot]:
    """Return the free times the course's closing talk may be booked at: after its group."""
    return list(
        catalogue.times_for(
            db.session(), course, SlotKind.CLOSING, now=utcnow(), after=steps.closing_from
        )
    )


@blp.get("/my")
def show() -> tuple[str, int]:
    """The course: its talks, the decision, the groups to join, and what can be done next."""
    return _course_page(_course())


@blp.post("/my/groups/<uuid:group_id>")
@transactional
def join(group_id: uuid.UUID) -> tuple[str, int] | Redirect:
    """Take a place in a group, or the next place on its waitlist when it is full."""
    course = _course()
    try:
        booking = reservations.join_group(db.session(), course.id, group_id, now=utcnow())
    except DomainError as error:
        return _course_page(course, 409, message_for(error))
    if booking.status is BookingStatus.WAITLISTED:
        position = reservations.waitlist_position(db.session(), booking)
        flash(_("The group is full. You are number %(n)s on its waitlist.", n=position))
    else:
        flash(_("You have a place in the group."))
    return redirect(url_for("course.show"), code=303)


@blp.post("/my/news")
@transactional
def news_seen() -> Redirect:
    """Put away the news of a place from the waitlist, once read."""
    reservations.take_place_news(db.session(), _course())
    return redirect(url_for("course.show"), code=303)


def _own_booking(course: Course, booking_id: uuid.UUID) -> Booking:
    booking = next((b for b in course.bookings if b.id == booking_id), None)
    if booking is None:
        abort(404)  # another course's booking, or none: the same answer
    return booking


@blp.get("/my/bookings/<uuid:booking_id>/cancel")
def confirm_cancel(booking_id: uuid.UUID) -> tuple[str, int]:
    """Say what cancelling (or leaving the group) will do, and ask before doing it."""
    course = _course()
    session, now = db.session(), utcnow()
    booking = _own_booking(course, booking_id)
    steps = next_steps(session, course, now=now)
    try:
        steps.require_cancel(booking)
    except DomainError as error:
        return _course_page(course, 409, message_for(error))
    group = session.get(Group, booking.group_id) if booking.group_id else None
    waiting = catalogue.group_view(session, group, now=now).waitlist if group else 0
    return page(
        "course_cancel.html",
        form=ConfirmForm(),
        step=steps.cancel_step(booking).value,
        booking=course_payload(session, course)["bookings"][course.bookings.index(booking)],
        group=group,
        waiting=waiting,
    )


@blp.post("/my/bookings/<uuid:booking_id>/cancel")
@transactional
def cancel(booking_id: uuid.UUID) -> tuple[str, int] | Redirect:
    """Cancel a talk or leave a group (or its waitlist), once the citizen has confirmed it."""
    course = _course()
    if request.form.get("confirmed") != "yes":
        # One tap never cancels: without the confirmation page's answer, show that page.
        return redirect(url_for("course.confirm_cancel", booking_id=booking_id), code=303)
    try:
        reservations.cancel(db.session(), course.id, booking_id, now=utcnow())
    except NotFound:
        abort(404)  # another course's booking, or none: the same answer
    except DomainError as error:
        return _course_page(course, 409, message_for(error))
    flash(_("Cancelled."))
    return redirect(url_for("course.show"), code=303)


def _kind(name: str) -> SlotKind:
    if name not in ("intro", "closing"):
        abort(404)
    return SlotKind(name)


def _time_page(
    course: Course, kind: SlotKind, form: SlotForm, status: int = 200
) -> tuple[str, int]:
    session, now = db.session(), utcnow()
    steps = next_steps(session, course, now=now)
    moving = steps.live.get(BookingKind(kind.value)) is not None
    step = (MOVE if moving else BOOK)[BookingKind(kind.value)]
    if not steps.allows(step):
        return _course_page(course, 409, message_for(steps.refusals[step]))
    after = steps.closing_from if kind is SlotKind.CLOSING else None
    slots = catalogue.times_for(session, course, kind, now=now, after=after)
    form.slot.choices = [SelectChoice(str(slot.id), when(slot.starts_at)) for slot in slots]
    return page("course_time.html", status=status, form=form, kind=kind.value, moving=moving)


@blp.get("/my/time/<name>")
def choose_time(name: str) -> tuple[str, int]:
    """Choose a time for a talk: the closing talk, or a new time for a booked one."""
    return _time_page(_course(), _kind(name), SlotForm())


@blp.post("/my/time/<name>")
@transactional
def book_time(name: str) -> tuple[str, int] | Redirect:
    """Book the talk, moving the booked one in the same transaction: all of it or none."""
    course, kind, form = _course(), _kind(name), SlotForm()
    if not form.validate():
        return _time_page(course, kind, form, status=422)
    session, now = db.session(), utcnow()
    try:
        slot_id = uuid.UUID(form.slot.data or "")
    except ValueError:
        abort(404)
    try:
        reservations.book_talk(session, course.id, slot_id, kind, now=now)
    except DomainError as error:
        form.slot.errors = [message_for(error)]
        return _time_page(course, kind, form, status=409)
    flash(_("Booked."))
    return redirect(url_for("course.show"), code=303)


@blp.get("/my/calendar.ics")
def calendar() -> Response:
    """A neutral calendar file: "Aftale" and the address, nothing more."""
    return calendar_for(db.session(), _course(), now=utcnow())


@blp.get("/my/erase")
def confirm_erase() -> tuple[str, int]:
    """Ask once more before everything is erased."""
    _course()
    return page("erase.html", form=ConfirmForm())


@blp.post("/my/erase")
@transactional
def erase() -> tuple[str, int]:
    """Erase the course, its bookings and the code, and end every session of it."""
    course = _course()
    session = db.session()
    sessions.end_every_session(session, course.id)
    pathway.erase(session, course.id, now=utcnow())
    return page("erased.html")


@blp.post("/logout")
@transactional
def sign_out() -> Redirect:
    """End the session on the server; the code still works next time."""
    sessions.sign_out(db.session())
    flash(_("You are signed out."))
    return redirect(url_for("pages.landing"), code=303)
