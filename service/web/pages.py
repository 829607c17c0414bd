"""The landing page, the language choice and the error pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, redirect, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from service.api.errors import STATUS_OF_KIND
from service.booking.errors import DomainError
from service.web.common import LANGUAGE_COOKIE, LANGUAGES, message_for, page, protect
from service.web.forms import ConfirmForm

blp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
blp.before_request(protect)

YEAR = 365 * 24 * 3600


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
    back = request.form.get("back", "/")
    # Only paths of this site: never an address elsewhere (no open redirect).
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/"
    response = redirect(back, code=303)
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


def error_page(error: HTTPException | DomainError) -> Response:
    """Answer an error outside the API with a page in the citizen's language."""
    if isinstance(error, DomainError):
        status, text = STATUS_OF_KIND[error.kind], message_for(error)
    else:
        status, text = error.code or 500, ""
    body, _ = page("error.html", status=status, text=text)
    response = make_response(body, status)
    if isinstance(error, HTTPException) and status in (405, 429):
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response
