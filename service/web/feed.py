"""The citizen's private calendar feed: make it on /my, revoke it, and the URL a calendar fetches.

The feed's URL holds its secret. It appears on one page only, the answer to
the form that made it; the request log names the route's pattern, never the
path (``service.web_safety``), so no log line holds it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as Redirect

from service import db
from service.booking import feeds
from service.core.clock import utcnow
from service.core.errors import NotFound
from service.http.calendar import calendar_bytes
from service.http.csrf import protect
from service.http.keyring import keyring
from service.http.transaction import transactional
from service.web import sessions
from service.web.common import page

blp = Blueprint("feed", __name__, template_folder="templates")
blp.before_request(protect)

# A secret is 43 characters (32 bytes in base64url); anything much longer is no secret.
_LONGEST = 64


@blp.app_template_global("calendar_feed_since")
def calendar_feed_since(course_id: uuid.UUID) -> datetime | None:
    """Return when the course's feed was made, or None (for the /my page's feed box)."""
    return feeds.created_at(db.session(), course_id)


@blp.post("/my/calendar-feed")
@transactional
def create() -> tuple[str, int]:
    """Make the course's feed (ending any earlier one) and show its URL, once."""
    course = sessions.signed_in_course_or_code_page(db.session(), now=utcnow())
    secret = feeds.create(db.session(), keyring(), course, now=utcnow())
    address = url_for("feed.fetch", secret=secret, _external=True)
    webcal = "webcal://" + address.split("://", 1)[1]
    return page("calendar_feed.html", address=address, webcal=webcal)


@blp.post("/my/calendar-feed/revoke")
@transactional
def revoke() -> Redirect:
    """End the course's feed: its URL finds nothing from now on."""
    course = sessions.signed_in_course_or_code_page(db.session(), now=utcnow())
    feeds.end(db.session(), course.id)
    flash(_("The calendar link is revoked."))
    return redirect(url_for("course.show"), code=303)


@blp.get("/calendar/<secret>.ics")
def fetch(secret: str) -> Response:
    """Answer a calendar's fetch: the course's times, or 404 for an unknown or ended feed."""
    if len(secret) > _LONGEST:
        abort(404)
    session = db.session()
    try:
        course = feeds.course_for_secret(session, keyring(), secret)
    except NotFound:
        abort(404)
    return Response(
        calendar_bytes(session, course, now=utcnow(), feed=True), mimetype="text/calendar"
    )
