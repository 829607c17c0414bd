"""The landing page, the language choice and the error pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from service.core.errors import DomainError
from service.http.csrf import protect
from service.http.errors import STATUS_OF_KIND, error_page_response
from service.request_guard import MalformedInput
from service.web.common import LANGUAGE_COOKIE, LANGUAGES, page
from service.web.forms import ConfirmForm
from service.web.refusals import message_for

blp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
blp.before_request(protect)

YEAR = 365 * 24 * 3600

# What a person is told when service.request_guard refuses what a form sent.
REFUSED_INPUT: dict[type[HTTPException], str] = {
    MalformedInput: _l(
        "The form held a character that cannot be used, such as a control character. "
        "Remove it and send the form again."
    ),
    RequestEntityTooLarge: _l("The form was too large to send. Shorten it and try again."),
}


@blp.get("/")
def landing() -> tuple[str, int]:
    """What anonymous treatment is, who it is for, and the two ways in."""
    return page(
        "landing.html",
        ordinary_url=current_app.config["ORDINARY_TREATMENT_URL"],
    )


@blp.post("/language")
def language() -> BaseResponse:
    """Keep the chosen language in a cookie of its own, for the session or a year if asked."""
    ConfirmForm()  # the CSRF check ran before the view
    chosen = request.form.get("language")
    response = redirect(site_path(request.form.get("back", "")), code=303)
    if chosen in LANGUAGES:
        # A session cookie unless the citizen asks to keep it: a lasting one
        # would tell whoever opens the browser later that it was used here.
        kept = request.form.get("remember") == "y"
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=YEAR if kept else None,
            secure=True,
            httponly=True,
            samesite="Strict",
            path="/",
        )
    return response


# What a browser removes before it reads a URL (WHATWG URL Standard, "basic
# URL parser"): leading and trailing C0 controls and spaces, and every tab and
# line break inside. "/\t/elsewhere" is "//elsewhere" to a browser.
_STRIPPED_EDGES = "".join(map(chr, range(0x21)))
_REMOVED_INSIDE = str.maketrans("", "", "\t\n\r")


def site_path(back: str) -> str:
    """Return ``back`` if a browser reads it as a path of this site, else ``/``."""
    path = back.strip(_STRIPPED_EDGES).translate(_REMOVED_INSIDE)
    # "//host" names another host, and browsers read a backslash as "/": "/\host" too.
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def error_page(error: HTTPException | DomainError) -> Response:
    """Answer an error outside the API with a page in the citizen's language."""
    if isinstance(error, DomainError):
        status, text = STATUS_OF_KIND[error.kind], message_for(error)
    else:
        status, text = error.code or 500, str(REFUSED_INPUT.get(type(error), ""))
    body, _ = page("error.html", status=status, text=text)
    return error_page_response(error, body, status)
