"""Routes anyone may call: municipalities, providers, free slots, groups, and starting a course."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from service import db
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
from service.http.errors import ErrorSchema
from service.http.keyring import keyring
from service.http.presenters import course_payload
from service.http.transaction import answer_belongs_to, transactional
from service.limits import course_creation
from service.models import Municipality, Slot, SlotKind

blp = Blueprint("public", __name__, url_prefix="/api/v1", description="Open to anyone.")


@blp.get("/municipalities")
@blp.response(200, MunicipalitySchema(many=True))
def list_municipalities() -> list[Municipality]:
    """List the 98 municipalities."""
    return list(directory.municipalities(db.session()))


@blp.get(
    "/municipalities/<string:code>/providers",
    parameters=[
        {
            "in": "path",
            "name": "code",
            "description": "The municipality's three-digit code.",
            "schema": {"type": "string", "pattern": "^[0-9]{3}$"},
        }
    ],
)
@blp.response(200, ProviderSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def list_providers(code: str) -> list[Provider]:
    """List the centres the municipality's citizens may choose, soonest free intro first."""
    return catalogue.providers(db.session(), code, now=utcnow())


@blp.get("/centres/<uuid:centre_id>/slots")
@blp.arguments(SlotQuerySchema, location="query")
@blp.response(200, SlotSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def list_slots(query: dict[str, Any], centre_id: uuid.UUID) -> list[Slot]:
    """List a centre's free future slots of one kind."""
    kind = SlotKind(query["kind"])
    return list(catalogue.free_slots(db.session(), centre_id, kind, now=utcnow()))


@blp.get("/centres/<uuid:centre_id>/groups")
@blp.response(200, GroupSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def list_groups(centre_id: uuid.UUID) -> list[GroupView]:
    """List a centre's groups that have sessions to come, with places left and waitlist length."""
    session = db.session()
    directory.centre(session, centre_id)
    return catalogue.group_views(session, [centre_id], now=utcnow())


@blp.post("/courses")
@course_creation
@transactional
@blp.arguments(
    # An instance, made once: given the class, webargs would build a new
    # schema (deep-copying its fields) for every request.
    CourseCreateSchema(),
    example={
        "home_municipality": "147",
        "centre_id": "2f1c9a4e-6b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "intro_slot_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "confirm_adult": True,
        "language": "da",
    },
)
@blp.response(201, CourseCreatedSchema)
@blp.alt_response(409, schema=ErrorSchema, description="A rule said no; `code` says which.")
@blp.alt_response(422, schema=ErrorSchema)
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
