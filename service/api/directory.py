"""Directory integrations with scope ``directory:manage``: contracts, centres and compliance.

A key bound to a municipality manages that municipality's contracts, as
its coordinator does; a national key (bound to nothing) manages every
municipality's contracts and the centres, as an administrator does.
Anything outside a key's reach answers 404, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask_smorest import Blueprint

from service import db
from service.api.auth import current_actor
from service.api.directory_schemas import (
    CentreCloseSchema,
    CentreCreateSchema,
    CentreTextsSchema,
    ComplianceQuerySchema,
    ContractCreateSchema,
    ContractEndSchema,
    ContractListQuerySchema,
    ContractSchema,
    ManagedCentreSchema,
    StandingSchema,
)
from service.api.routes import Refusal, api_route, scope
from service.booking import centres, contracts
from service.core.clock import local_today, utcnow
from service.core.errors import InvalidInput
from service.models import Centre, Contract

SCOPE = "directory:manage"

blp = Blueprint(
    "directory",
    __name__,
    url_prefix="/api/v1",
    description="Contracts and centres: `Authorization: Bearer dsk_...`, scope directory:manage.",
)

_MANAGE = scope(SCOPE)
_REFUSALS: tuple[Refusal, ...] = (
    (401, "No key, or the key is unknown or revoked."),
    (403, "The key lacks the scope directory:manage."),
    (404, "No such object within the key's reach."),
)
_WARNS: Refusal = (
    409,
    "compliance_confirmation_required: the change leaves a municipality short of § 101 a, "
    "stk. 2 (errors.shortfalls names each); send it again with confirm: true to save it.",
)


@api_route(
    blp,
    "/contracts",
    access=_MANAGE,
    query=ContractListQuerySchema,
    response=ContractSchema(many=True),
    refusals=(422, *_REFUSALS),
)
def list_contracts(query: dict[str, Any]) -> Sequence[Contract]:
    """List a municipality's contracts, ended ones included, newest start first."""
    actor = current_actor()
    code = query.get("municipality") or actor.municipality_code
    if code is None:
        raise InvalidInput("Give the municipality.", field="municipality")
    return contracts.listing(db.session(), actor, code)


@api_route(
    blp,
    "/contracts",
    method="post",
    access=_MANAGE,
    body=ContractCreateSchema,
    example={
        "municipality": "101",
        "centre_id": "0b7e6c1e-3f57-4b43-9b4e-2a51c1f0d9a4",
        "valid_from": "2027-01-01",
    },
    status=201,
    response=ContractSchema,
    refusals=(422, *_REFUSALS),
)
def add_contract(body: dict[str, Any]) -> Contract:
    """Contract a centre for a municipality from a day; its citizens may book it from that day."""
    return contracts.add(
        db.session(),
        current_actor(),
        municipality_code=body["municipality"],
        centre_id=body["centre_id"],
        valid_from=body["valid_from"],
        now=utcnow(),
    )


@api_route(
    blp,
    "/contracts/<uuid:contract_id>/end",
    method="post",
    access=_MANAGE,
    body=ContractEndSchema,
    example={"ends_on": "2027-07-01", "confirm": False},
    response=ContractSchema,
    refusals=(_WARNS, 422, *_REFUSALS),
)
def end_contract(body: dict[str, Any], contract_id: uuid.UUID) -> Contract:
    """End a contract from a day; what was booked before stays booked."""
    return contracts.end(
        db.session(),
        current_actor(),
        contract_id,
        ends_on=body["ends_on"],
        confirmed=body["confirm"],
        now=utcnow(),
    )


@api_route(
    blp,
    "/compliance",
    access=_MANAGE,
    query=ComplianceQuerySchema,
    response=StandingSchema(many=True),
    refusals=(422, *_REFUSALS),
)
def compliance(query: dict[str, Any]) -> list[contracts.Standing]:
    """Tell, per municipality in reach, whether it meets § 101 a, stk. 2 on a day (today)."""
    day = query.get("on") or local_today(utcnow())
    return contracts.standings(db.session(), current_actor(), on=day)


def _texts(body: dict[str, Any]) -> centres.CentreTexts:
    return centres.CentreTexts(
        name=body["name"],
        address=body["address"],
        entrance=body["entrance"],
        entrance_en=body["entrance_en"],
        opening_hours=body["opening_hours"],
        opening_hours_en=body["opening_hours_en"],
        languages=" ".join(body["languages"]),
        phone=body["phone"],
    )


_CENTRE_EXAMPLE = {
    "name": "Center Nord",
    "address": "Nørrebrogade 1, 2200 København N",
    "entrance": "Gennem porten, dør C.",
    "entrance_en": "Through the gate, door C.",
    "opening_hours": "Man-fre 9-17",
    "opening_hours_en": "Mon-Fri 9-17",
    "languages": ["da", "en"],
}


@api_route(
    blp,
    "/centres",
    method="post",
    access=_MANAGE,
    body=CentreCreateSchema,
    example={**_CENTRE_EXAMPLE, "municipality_code": "101"},
    status=201,
    response=ManagedCentreSchema,
    refusals=(422, *_REFUSALS),
)
def add_centre(body: dict[str, Any]) -> Centre:
    """Add a centre (a national key only); it can be booked once a municipality contracts it."""
    return centres.create(
        db.session(),
        current_actor(),
        municipality_code=body["municipality_code"],
        texts=_texts(body),
        now=utcnow(),
    )


@api_route(
    blp,
    "/centres/<uuid:centre_id>",
    method="put",
    access=_MANAGE,
    body=CentreTextsSchema,
    example=_CENTRE_EXAMPLE,
    response=ManagedCentreSchema,
    refusals=(422, *_REFUSALS),
)
def edit_centre(body: dict[str, Any], centre_id: uuid.UUID) -> Centre:
    """Replace what citizens read of a centre (a national key only)."""
    return centres.update(db.session(), current_actor(), centre_id, _texts(body), now=utcnow())


@api_route(
    blp,
    "/centres/<uuid:centre_id>/close",
    method="post",
    access=_MANAGE,
    body=CentreCloseSchema,
    example={"closed_from": "2027-07-01", "confirm": False},
    response=ManagedCentreSchema,
    refusals=(_WARNS, 422, *_REFUSALS),
)
def close_centre(body: dict[str, Any], centre_id: uuid.UUID) -> Centre:
    """Close a centre from a day (a national key only): its contracts end that day."""
    actor = current_actor()
    centres.close(
        db.session(),
        actor,
        centre_id,
        closed_from=body["closed_from"],
        confirmed=body["confirm"],
        now=utcnow(),
    )
    return centres.centre(db.session(), actor, centre_id)
