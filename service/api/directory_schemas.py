"""Load and dump schemas of the directory integration: contracts, centres and compliance.

Load schemas refuse unknown fields (marshmallow's default, RAISE); the
rules check what the schemas let through (reach, dates, personal data).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

_CODE = validate.Regexp(r"^\d{3}$", error="Three digits, e.g. 101.")


class ContractSchema(Schema):
    """A contract with its period; ``valid_to`` is its last day, null while it runs."""

    id = fields.UUID()
    municipality_code = fields.String(metadata={"example": "101"})
    centre_id = fields.UUID()
    centre_name = fields.String(attribute="centre.name")
    valid_from = fields.Date(metadata={"description": "The contract's first day."})
    valid_to = fields.Date(
        allow_none=True, metadata={"description": "The contract's last day; null while it runs."}
    )


class ContractListQuerySchema(Schema):
    """Whose contracts to list; a municipality's key lists its own without it."""

    municipality = fields.String(validate=_CODE, metadata={"example": "101"})


class ContractCreateSchema(Schema):
    """A new contract of a municipality with a centre from a day (today or later)."""

    municipality = fields.String(required=True, validate=_CODE)
    centre_id = fields.UUID(required=True)
    valid_from = fields.Date(required=True, metadata={"description": "First day, today at least."})


class ContractEndSchema(Schema):
    """The first day without the contract; ``confirm`` saves it even if § 101 a, stk. 2 breaks."""

    ends_on = fields.Date(
        required=True,
        metadata={"description": "The first day the centre cannot be booked; today at least."},
    )
    confirm = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Save even when the municipality falls short of § 101 a, stk. 2 "
            "(otherwise 409 compliance_confirmation_required, with the shortfalls)."
        },
    )


class StandingSchema(Schema):
    """How one municipality stands with § 101 a, stk. 2 on the day."""

    code = fields.String()
    name = fields.String()
    providers = fields.Integer(metadata={"description": "Centres contracted on the day."})
    outside = fields.Integer(metadata={"description": "Of those, centres in another municipality."})
    complies = fields.Boolean()


class ComplianceQuerySchema(Schema):
    """The day to judge; today when left out."""

    on = fields.Date()


class ManagedCentreSchema(Schema):
    """A centre with every text citizens read, in Danish and English, and its closing day."""

    id = fields.UUID()
    name = fields.String()
    municipality_code = fields.String()
    address = fields.String()
    entrance = fields.String()
    entrance_en = fields.String()
    opening_hours = fields.String()
    opening_hours_en = fields.String()
    languages = fields.Function(lambda centre: centre.languages.split())
    phone = fields.String(metadata={"description": "The centre's own phone number, or empty."})
    closed_from = fields.Date(allow_none=True)


class CentreTextsSchema(Schema):
    """What citizens read of a centre; English texts fall back to the Danish ones when empty."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    entrance = fields.String(load_default="", validate=validate.Length(max=2000))
    entrance_en = fields.String(load_default="", validate=validate.Length(max=2000))
    opening_hours = fields.String(load_default="", validate=validate.Length(max=200))
    opening_hours_en = fields.String(load_default="", validate=validate.Length(max=200))
    languages = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z]{2}$", error="A two-letter code.")),
        load_default=lambda: ["da"],
        validate=validate.Length(min=1, max=20),
    )
    phone = fields.String(
        load_default="",
        validate=validate.Length(max=30),
        metadata={
            "description": "The centre's own Danish phone number (8 digits), shown to citizens; "
            "stored in national format. Empty for none."
        },
    )


class CentreCreateSchema(CentreTextsSchema):
    """A new centre and the municipality it lies in (fixed once made)."""

    municipality_code = fields.String(required=True, validate=_CODE)


class CentreCloseSchema(Schema):
    """The first day the centre offers no new courses; its contracts end that day."""

    closed_from = fields.Date(required=True)
    confirm = fields.Boolean(load_default=False)
