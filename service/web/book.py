"""Booking without a name: home municipality, a place or the soonest time, a time, the code."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import segno
from flask import Blueprint, Response, abort, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import catalogue, directory, pathway
from service.core.clock import local_today, utcnow
from service.core.errors import DomainError, NotContracted, NotFound, SlotUnavailable
from service.http.csrf import protect
from service.http.keyring import keyring
from service.http.transaction import transactional
from service.limits import course_creation
from service.models import Centre, Course, Municipality, Slot, SlotKind
from service.web.choosing import chosen_day, group_lines, minutes, span
from service.web.common import clock, day, page, spoken
from service.web.forms import BookForm, MunicipalityForm, SoonestForm
from service.web.refusals import message_for
from service.web.sessions import code_to_download, sign_in, signed_in_course_or_code_page

blp = Blueprint("book", __name__, template_folder="templates")
blp.before_request(protect)


def _municipality_form(data: Mapping[str, str] | None = None) -> MunicipalityForm:
    form = MunicipalityForm(data)
    form.municipality.choices = [SelectChoice("", _("Choose your municipality"))] + [
        SelectChoice(m.code, m.name) for m in catalogue.municipalities_by_name(db.session())
    ]
    return form


@blp.get("/book")
def choose_municipality() -> tuple[str, int]:
    """Step 1: the home municipality, from a plain select that needs no JavaScript."""
    return page("book_municipality.html", form=_municipality_form())


@blp.get("/book/places")
def choose_place() -> tuple[str, int]:
    """Step 2: the soonest free time, then the places the municipality works with."""
    form = _municipality_form(request.args)
    if not form.validate():
        return page("book_municipality.html", status=422, form=form)
    return _places(form.municipality.data)


def _places(
    code: str, status: int = 200, error: str | None = None, form: SoonestForm | None = None
) -> tuple[str, int]:
    session, now = db.session(), utcnow()
    listed = catalogue.providers(session, code, now=now)
    first = catalogue.soonest(listed)
    form = form or SoonestForm(data={"municipality": code})
    # Always the time shown now: after a refusal, the old one is gone.
    form.slot.data = str(first.next_slot.id) if first and first.next_slot else ""
    return page(
        "book_places.html",
        status=status,
        error=error,
        form=form,
        municipality=directory.municipality(session, code),
        providers=listed,
        first=first,
        groups={p.centre.id: group_lines(p.groups, now=now) for p in listed},
        minutes=minutes,
        spoken=spoken,
    )


@blp.post("/book/soonest")
@course_creation
@transactional
def book_soonest() -> tuple[str, int]:
    """Book the soonest free time shown on step 2, through the rules of a chosen time."""
    form = SoonestForm()
    municipality = _municipality(request.form)
    if not form.validate():
        return _places(municipality.code, 422, form=form)
    try:
        slot = catalogue.slot(db.session(), _slot_id(form.slot.data))
        return _create(municipality, slot.centre_id, slot.id)
    except DomainError as error:
        return _places(municipality.code, 409, message_for(error), form=form)


def _municipality(values: Mapping[str, str]) -> Municipality:
    """Return the municipality a request names; 404 for an unknown one."""
    try:
        return directory.municipality(db.session(), values.get("municipality", ""))
    except NotFound:
        abort(404)


def _chosen(values: Mapping[str, str]) -> tuple[Municipality, Centre]:
    """Return the municipality and place a request names; 404 for anything unknown."""
    municipality = _municipality(values)
    try:
        centre = directory.centre(db.session(), uuid.UUID(values.get("centre", "")))
    except (NotFound, ValueError):
        abort(404)
    return municipality, centre


def _contracted(municipality: Municipality, centre: Centre) -> bool:
    today = local_today(utcnow())
    return centre in directory.contracted_centres(db.session(), municipality.code, on=today)


def _time_page(
    form: BookForm,
    municipality: Municipality,
    centre: Centre,
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    """Render the days with free times, and the times of the chosen day (the first by default)."""
    session, now = db.session(), utcnow()
    days = catalogue.free_days(session, centre.id, SlotKind.INTRO, now=now, home=municipality.code)
    try:
        on = chosen_day(form.day.data)
    except ValueError:
        on, status, error = None, 422, _("That day could not be read. Please choose a day below.")
    else:
        on = on or (days[0].on if days else None)
    slots = (
        catalogue.free_slots(
            session, centre.id, SlotKind.INTRO, now=now, home=municipality.code, on=on
        )
        if on
        else []
    )
    form.day.data = on.isoformat() if on else ""
    if on:
        form.slot.label.text = _("Free times on %(day)s", day=day(on))
    form.slot.choices = [
        SelectChoice(str(slot.id), span(clock(slot.starts_at), clock(slot.ends_at)))
        for slot in slots
    ]
    return page(
        "book_time.html",
        status=status,
        error=error,
        form=form,
        municipality=municipality,
        centre=centre,
        days=days,
        on=on,
    )


@blp.get("/book/time")
def choose_time() -> tuple[str, int]:
    """Step 3: a day with free times, a time that day, and the 18+ confirmation."""
    municipality, centre = _chosen(request.args)
    if not _contracted(municipality, centre):
        return _places(municipality.code, 422, message_for(NotContracted()))
    form = BookForm(
        data={
            "municipality": municipality.code,
            "centre": str(centre.id),
            "day": request.args.get("day", ""),
        }
    )
    return _time_page(form, municipality, centre)


@blp.post("/book/time")
@course_creation
@transactional
def book() -> tuple[str, int]:
    """Book the first talk; the code is shown on the answer to this request, and never again."""
    form = BookForm()
    municipality, centre = _chosen(request.form)
    if not form.validate():
        return _time_page(form, municipality, centre, status=422)
    try:
        return _create(municipality, centre.id, _slot_id(form.slot.data))
    except DomainError as error:
        form.slot.errors = [*form.slot.errors, message_for(error)]
        return _time_page(form, municipality, centre, status=409)


def _create(
    municipality: Municipality, centre_id: uuid.UUID, slot_id: uuid.UUID
) -> tuple[str, int]:
    """Create the course and its intro booking, sign the browser in, and show the code once."""
    session, now = db.session(), utcnow()
    token, course = pathway.create_course(
        session,
        keyring(),
        home_municipality=municipality.code,
        centre_id=centre_id,
        intro_slot_id=slot_id,
        language=str(get_locale() or "da"),
        now=now,
    )
    sign_in(session, course, now=now, code=token)
    return _token_page(token, course, course.centre, now=now)


@blp.post("/code.txt")
@transactional
def code_file() -> Response:
    """Answer the code just shown as a text file, to the browser that booked, for 15 minutes."""
    course = signed_in_course_or_code_page(db.session(), now=utcnow())
    code = code_to_download(db.session(), now=utcnow())
    if code is None:
        abort(404)
    response = Response(_card(code, course.reference, _site()) + "\n", mimetype="text/plain")
    # A form's answer, not a link: the code never sits in an address the browser keeps.
    name = _("code")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.txt"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _site() -> str:
    """Return the site's address as the request reached it (its host, or the proxy's)."""
    return url_for("pages.landing", _external=True).rstrip("/")


def _card(token: str, reference: str, site: str) -> str:
    return str(
        _("Your code: %(token)s", token=token)
        + "\n\n"
        + _("Keep it safe. It is the only key to your booking and cannot be recovered.")
        + "\n"
        + _('Use the code at %(site)s, under "I have a code".', site=site)
        + "\n\n"
        + _("At the door, give the reference %(reference)s.", reference=reference)
        + "\n"
        + _("Reference for phone calls: %(reference)s", reference=reference)
        + "\n"
        + _(
            "Give this reference if you phone the centre: staff can then book, move or cancel "
            "your times for you. It does not say who you are. Keep it to yourself, as your code."
        )
    )


def _slot_id(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise SlotUnavailable(field="slot_id") from None


def _token_page(token: str, course: Course, centre: Centre, *, now: datetime) -> tuple[str, int]:
    intro = next(b for b in course.bookings if b.slot_id is not None)
    slot = db.session().get_one(Slot, intro.slot_id)
    return page(
        "token.html",
        token=token,
        groups=token.split("-"),
        # No width or height, only a viewBox: the code fills the box the page gives it.
        qr=Markup(segno.make(token, error="m").svg_inline(omitsize=True, border=2)),  # noqa: S704
        site=_site(),
        centre=centre,
        starts_at=slot.starts_at,
        reference=course.reference,
    )
