"""Token verification for other services (scope ``tokens:verify``)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from service import db
from service.api.auth import current_actor
from service.api.routes import api_route, scope
from service.api.schemas import VerifiedSchema, VerifySchema
from service.booking.pathway import course_for_token
from service.core.errors import DomainError
from service.http.keyring import keyring
from service.models import OPEN_STATUSES

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="Token checks.")


@api_route(
    blp,
    "/verify",
    method="post",
    access=scope("tokens:verify"),
    body=VerifySchema,
    example={"token": "7K3M-Q9TD-0PXA-H2RW-B5NE"},
    response=VerifiedSchema,
    refusals=(401, 403),
)
def verify(body: dict[str, Any]) -> dict[str, Any]:
    """Tell whether a token belongs to an open course within the key's centre or municipality.

    An unknown token, a malformed one and one outside the key's reach all
    give the same answer: `{"valid": false, "course": null}`.
    """
    actor = current_actor()
    session = db.session()
    try:
        course = course_for_token(session, keyring(), body["token"])
    except DomainError:
        return {"valid": False, "course": None}
    if course.status not in OPEN_STATUSES or not actor.reaches_course(
        course.centre_id, course.home_municipality
    ):
        return {"valid": False, "course": None}
    return {"valid": True, "course": course}
