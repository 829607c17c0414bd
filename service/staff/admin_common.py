"""What the administration pages share: who manages, refusals in Danish, and the choice lists.

The rules (service.identity.accounts, .directory, .keys) decide what may be
made; the account, centre and API key pages only ask them and put their
answer into Danish with these helpers.
"""

from __future__ import annotations

import uuid

from wtforms import Field
from wtforms.fields.choices import SelectChoice

from service import db
from service.booking import directory
from service.core import errors
from service.models import Role
from service.staff import refusals

MANAGERS = (Role.ADMIN, Role.CENTRE_ADMIN)


def refusal(error: errors.DomainError, messages: dict[str, str]) -> str:
    """Return the Danish message for a refusal of the rules, by the form's table of fields."""
    return refusals.wording(error, messages)


def refusal_status(error: errors.DomainError) -> int:
    """Return the HTTP status of a page that shows a refusal of the rules."""
    return {"invalid": 422, "busy": 503}.get(error.kind, 409)


def show_refusal(
    error: errors.DomainError, messages: dict[str, str], fields: dict[str, Field]
) -> str | None:
    """Put a refusal next to the field it names; return it when no field of the form fits."""
    message = refusal(error, messages)
    field = fields.get(str(error.data.get("field")))
    if field is None:
        return message
    field.errors = [message]
    return None


def parse_uuid(value: str | None) -> uuid.UUID | None:
    """Return the UUID a form field holds, or None when it holds none."""
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def centre_choices(*, blank: str | None) -> list[SelectChoice]:
    """Return every centre as a choice, after a blank one labelled ``blank`` if given."""
    first = [SelectChoice("", blank)] if blank else []
    return first + [SelectChoice(str(c.id), c.name) for c in directory.centres(db.session())]


def municipality_choices(blank: str) -> list[SelectChoice]:
    """Return every municipality as a choice, after a blank one labelled ``blank``."""
    every = directory.municipalities(db.session())
    return [SelectChoice("", blank)] + [SelectChoice(m.code, f"{m.name} ({m.code})") for m in every]
