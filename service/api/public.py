"""Routes anyone may call: municipalities, providers, free slots, groups, and starting a course."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from service import db
from service.api.routes import api_route, limited
from service.api.schemas import (
    CourseCreatedSchema,
    CourseCreateSchema,
    GroupSchema,
    MunicipalitySchema,
    ProviderSchema,
    SlotQuerySchema,
    SlotSchema,
)
from service.booking import catalogue, directory, pathway
from service.booking.catalogue import GroupView, Provider
from service.core.clock import utcnow
from service.http.keyring import keyring
from service.http.presenters import course_payload
from service.http.transaction import answer_belongs_to
from service.limits import course_creation
from service.models import Municipality, Slot, SlotKind

blp = Blueprint("public", __name__, url_prefix="/api/v1", description="Open to anyone.")


@api_route(blp, "/municipalities", response=MunicipalitySchema(many=True))
def list_municipalities() -> list[Municipality]:
    """List the 98 municipalities."""
    return list(directory.municipalities(db.session()))


@api_route(
    blp,
    "/municipalities/<string:code>/providers",
    parameters=[
        {
            "in": "path",
            "name": "code",
            "description": "The municipality's three-digit code.",
            "schema": {"type": "string", "pattern": "^[0-9]{3}$"},
        }
    ],
    response=ProviderSchema(many=True),
    refusals=(404,),
)
def list_providers(code: str) -> list[Provider]:
    """List the centres the municipality's citizens may choose, soonest free intro first."""
    return catalogue.providers(db.session(), code, now=utcnow())


@api_route(
    blp,
    "/centres/<uuid:centre_id>/slots",
    query=SlotQuerySchema,
    response=SlotSchema(many=True),
    refusals=(404,),
)
def list_slots(query: dict[str, Any], centre_id: uuid.UUID) -> list[Slot]:
    """List a centre's free future slots of one kind."""
    kind = SlotKind(query["kind"])
    return list(catalogue.free_slots(db.session(), centre_id, kind, now=utcnow()))


@api_route(
    blp, "/centres/<uuid:centre_id>/groups", response=GroupSchema(many=True), refusals=(404,)
)
def list_groups(centre_id: uuid.UUID) -> list[GroupView]:
    """List a centre's groups that have sessions to come, with places left and waitlist length."""
    session = db.session()
    directory.centre(session, centre_id)
    return catalogue.group_views(session, [centre_id], now=utcnow())


@api_route(
    blp,
    "/courses",
    method="post",
    access=limited(course_creation),
    # An instance, made once: given the class, webargs would build a new
    # schema (deep-copying its fields) for every request.
    body=CourseCreateSchema(),
    example={
        "home_municipality": "147",
        "centre_id": "2f1c9a4e-6b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "intro_slot_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "confirm_adult": True,
        "language": "da",
    },
    status=201,
    response=CourseCreatedSchema,
    refusals=((409, "A rule said no; `code` says which."), 422),
)
def create_course(body: dict[str, Any]) -> dict[str, Any]:
    """Create a token, a course and its intro booking in one transaction.

    The token in the answer is shown only this once; keep it. Send an
    `Idempotency-Key` header (a fresh UUID) so that a retry within 15
    minutes returns this same answer.
    """
    session = db.session()
    token, course = pathway.create_course(
        session,
        keyring(),
        home_municipality=body["home_municipality"],
        centre_id=body["centre_id"],
        intro_slot_id=body["intro_slot_id"],
        language=body["language"],
        now=utcnow(),
    )
    answer_belongs_to(course.id)
    return {"token": token, "course": course_payload(session, course)}
