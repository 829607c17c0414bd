"""The staff workspace's own error page: Danish, with the menu of the signed-in account.

Registered with ``service.http.errors.register_pages`` for every path under
/staff/, so a 404, 403, an expired form (400), a refusal or a crash inside
the workspace keeps staff in it. The page says what happened in general
terms and never anything of the exception itself.
"""

from __future__ import annotations

from flask import Flask, Response
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from service import db
from service.core.clock import utcnow
from service.core.errors import DomainError
from service.http.errors import STATUS_OF_KIND, error_page_response, register_pages
from service.identity import two_factor
from service.models import StaffAccount
from service.request_guard import MalformedInput
from service.staff import refusals
from service.staff.auth import signed_in, totp_roles
from service.staff.pages import page

# What staff are told when service.request_guard refuses what a form sent.
REFUSED_INPUT: dict[type[HTTPException], str] = {
    MalformedInput: (
        "Formularen indeholdt et tegn, der ikke kan bruges, fx et kontroltegn. "
        "Fjern det, og send formularen igen."
    ),
    RequestEntityTooLarge: "Formularen var for stor til at blive sendt. Gør den kortere.",
}


def _menu_account() -> StaffAccount | None:
    """Return the signed-in account whose menu the page shows, or None for no menu.

    The failed request keeps nothing: its transaction is rolled back first, so
    the lookup starts clean even after a database error. An account that must
    first choose a password or set up TOTP gets no menu, as on its own pages.
    """
    session = db.session()
    try:
        session.rollback()
        account = signed_in(session, now=utcnow())
        if account is None or account.must_set_password:
            return None
        if not two_factor.enrolled(account) and two_factor.required(account, totp_roles()):
            return None
    except SQLAlchemyError:
        session.rollback()
        return None
    return account


def error_page(error: HTTPException | DomainError) -> Response:
    """Answer an error under /staff/ with the staff page, in the same status."""
    if isinstance(error, DomainError):
        status, text = STATUS_OF_KIND[error.kind], refusals.wording(error)
    else:
        status, text = error.code or 500, REFUSED_INPUT.get(type(error), "")
    body, _ = page("staff/error.html", status=status, me=_menu_account(), text=text)
    return error_page_response(error, body, status)


def init_app(app: Flask) -> None:
    """Answer errors under /staff/ with the staff error page."""
    register_pages(app, "/staff/", error_page)
