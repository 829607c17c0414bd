"""Centres: created, edited and closed by a national actor (an administrator, a national key).

Every text of a centre is shown to citizens, in Danish and (where given)
English, so each goes through the same check as all staff text: no CPR
number, e-mail, phone number or IP address (SPEC P1). A centre's
municipality is fixed once made: it decides which contracts count as
"outside" (§ 101 a, stk. 2), so a centre that moves is a new centre.

The centre's phone number is the one exception: a provider's switchboard
number is public contact data, not a person's, and citizens see it in the
help box. It is taken only as a valid Danish number and stored in its
national format, so nothing else can ride along in that field.

Closing a centre from a day ends every contract of it from that day
(``service.booking.contracts``): from then on no citizen may start a course
there. Courses and bookings made before stay as they are; its slots and
groups stay for them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.booking import contracts
from service.core.clock import local_today
from service.core.errors import InvalidInput, NotFound, PersonalDataRefused
from service.core.text import looks_like_cpr, normalise, refuse_personal_data
from service.identity import audit
from service.identity.actors import Actor
from service.models import Centre, Contract, Municipality

_LANGUAGE = re.compile(r"^[a-z]{2}$")
# The longest text each field of a centre takes (the model's column sizes; entrance is TEXT).
_LONGEST = {
    "name": 120,
    "address": 200,
    "entrance": 2000,
    "entrance_en": 2000,
    "opening_hours": 200,
    "opening_hours_en": 200,
}


class ClosedAlready(InvalidInput):
    """The centre is closed on that day or earlier already."""

    code = "centre_closed_already"
    message = "The centre is closed from that day or earlier already."


class CloseInPast(InvalidInput):
    """A centre closes today at the earliest."""

    code = "centre_close_in_past"
    message = "A centre closes today at the earliest."


class ContractStartsLater(InvalidInput):
    """A contract of the centre starts on the closing day or later; it would never hold."""

    code = "centre_contract_starts_later"
    message = "A contract of the centre starts on that day or later. Close the centre after it."


@dataclass(frozen=True)
class CentreTexts:
    """What citizens read of a centre, as staff typed it."""

    name: str
    address: str
    entrance: str = ""
    entrance_en: str = ""
    opening_hours: str = ""
    opening_hours_en: str = ""
    languages: str = "da"
    phone: str = ""


class PhoneInvalid(InvalidInput):
    """The centre's phone number is not a Danish phone number."""

    code = "centre_phone_invalid"
    message = "A Danish phone number of 8 digits, such as 33 12 34 56."


def _phone(value: str) -> str:
    """Return a Danish phone number in national format ("33 12 34 56"), or "" for none."""
    text = normalise(value).strip()
    if not text:
        return ""
    # A CPR number is refused as in every other text, before it could read as a number.
    if looks_like_cpr(text):
        raise PersonalDataRefused(field="phone")
    try:
        number = phonenumbers.parse(text, "DK")
    except phonenumbers.NumberParseException:
        raise PhoneInvalid(field="phone") from None
    if not phonenumbers.is_valid_number_for_region(number, "DK"):
        raise PhoneInvalid(field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _text(value: str, field: str, *, required: bool) -> str:
    # Every text is one line, but for the entrance, whose description may run over several.
    text = value.strip() if field.startswith("entrance") else " ".join(value.split())
    refuse_personal_data(text, field=field)
    if required and not text:
        raise InvalidInput("This field is required.", field=field)
    if len(text) > _LONGEST[field]:
        raise InvalidInput(f"At most {_LONGEST[field]} characters.", field=field)
    return text


def _languages(value: str) -> str:
    spoken = list(dict.fromkeys(value.lower().replace(",", " ").split()))
    if not spoken or not all(_LANGUAGE.match(code) for code in spoken):
        raise InvalidInput(
            'Languages are two-letter codes separated by spaces, e.g. "da en".',
            field="languages",
        )
    if len(" ".join(spoken)) > 60:
        raise InvalidInput("Too many languages.", field="languages")
    return " ".join(spoken)


def _write(centre: Centre, texts: CentreTexts) -> None:
    centre.name = _text(texts.name, "name", required=True)
    centre.address = _text(texts.address, "address", required=True)
    centre.entrance = _text(texts.entrance, "entrance", required=False)
    centre.entrance_en = _text(texts.entrance_en, "entrance_en", required=False)
    centre.opening_hours = _text(texts.opening_hours, "opening_hours", required=False)
    centre.opening_hours_en = _text(texts.opening_hours_en, "opening_hours_en", required=False)
    centre.languages = _languages(texts.languages)
    centre.phone = _phone(texts.phone)


def _audit(session: Session, actor: Actor, action: str, centre: Centre, *, now: datetime) -> None:
    audit.record(
        session,
        actor,
        action,
        object_type="centre",
        object_id=centre.id,
        centre_id=centre.id,
        now=now,
    )


def centre(session: Session, actor: Actor, centre_id: uuid.UUID) -> Centre:
    """Return a centre for a national actor to manage, or raise NotFound."""
    contracts.require_national(actor)
    found = session.get(Centre, centre_id)
    if found is None:
        raise NotFound("No centre has that id.")
    return found


def _locked(session: Session, actor: Actor, centre_id: uuid.UUID) -> Centre:
    contracts.require_national(actor)
    # Locked: a contract made meanwhile would not see the centre close.
    found = contracts.lock_centre(session, centre_id)
    if found is None:
        raise NotFound("No centre has that id.")
    return found


def create(
    session: Session, actor: Actor, *, municipality_code: str, texts: CentreTexts, now: datetime
) -> Centre:
    """Add a centre with its public address and entrance; no text may hold personal data (P1).

    ``languages`` are ISO 639-1 codes separated by spaces or commas ("da en").
    """
    contracts.require_national(actor)
    if session.get(Municipality, municipality_code) is None:
        raise InvalidInput("Choose the centre's municipality.", field="municipality")
    made = Centre(municipality_code=municipality_code, created_at=now)
    _write(made, texts)
    session.add(made)
    session.flush()
    _audit(session, actor, "centre.created", made, now=now)
    return made


def update(
    session: Session, actor: Actor, centre_id: uuid.UUID, texts: CentreTexts, *, now: datetime
) -> Centre:
    """Change what citizens read of a centre; the next page they open shows it."""
    found = _locked(session, actor, centre_id)
    _write(found, texts)
    session.flush()
    _audit(session, actor, "centre.updated", found, now=now)
    return found


def close(
    session: Session,
    actor: Actor,
    centre_id: uuid.UUID,
    *,
    closed_from: date,
    confirmed: bool,
    now: datetime,
) -> list[Contract]:
    """Close a centre from a day: its contracts end then; return the contracts it ended.

    Raises BreaksCompliance, unless ``confirmed``, when that leaves a
    municipality short of § 101 a, stk. 2.
    """
    found = _locked(session, actor, centre_id)
    if closed_from < local_today(now):
        raise CloseInPast(field="closed_from")
    if found.closed_on(closed_from):
        raise ClosedAlready(field="closed_from")
    running = list(
        session.scalars(
            select(Contract).where(
                Contract.centre_id == found.id,
                or_(Contract.valid_to.is_(None), Contract.valid_to >= closed_from),
            )
        )
    )
    if any(each.valid_from >= closed_from for each in running):
        raise ContractStartsLater(field="closed_from")
    homes = [each.municipality_code for each in running]
    contracts.lock(session, homes)
    if not confirmed:
        contracts.refuse_breaking(session, homes, [each.id for each in running], on=closed_from)
    for each in running:
        each.valid_to = closed_from - contracts.DAY
        contracts.audit_contract(session, actor, "contract.ended", each, now=now)
    found.closed_from = closed_from
    session.flush()
    _audit(session, actor, "centre.closed", found, now=now)
    return running
