"""One catalogue of refusals per audience, keyed by error class, and every refusal worded in it."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.pofile import read_po

from service.core import errors
from service.identity import accounts, two_factor
from service.staff import refusals as staff
from service.stats import query
from service.web import refusals as citizen

ROOT = Path(__file__).resolve().parents[2]
DANISH = ROOT / "service" / "web" / "translations" / "da" / "LC_MESSAGES" / "messages.po"


def _refusals_of(module: ModuleType) -> list[type[errors.DomainError]]:
    return [
        rule
        for _, rule in inspect.getmembers(module, inspect.isclass)
        if issubclass(rule, errors.DomainError)
        and rule is not errors.DomainError
        and rule.__module__ == module.__name__
    ]


# Every refusal the shared rules raise (service/core/errors.py); staff also
# meet those of their own identity (sign-in, passwords, two-factor sign-in)
# and of the statistics page's query.
RULES = _refusals_of(errors)
IDENTITY = _refusals_of(accounts) + _refusals_of(two_factor) + _refusals_of(query)
# Steps only staff take: a decision after the intro talk, a group's capacity, no-shows.
STAFF_ONLY: set[type[errors.DomainError]] = {
    errors.IntroNotHeld,
    errors.CapacityTooLow,
    errors.TalkNotBegun,
    errors.NoShowNotRecorded,
}
# Steps only a citizen takes with a token: the token itself. Staff take every other
# step of the pathway for a caller on the phone (service.booking.on_behalf).
CITIZEN_ONLY: set[type[errors.DomainError]] = {errors.TokenMalformed, errors.TokenRejected}


def _nearest(rule: type[errors.DomainError], catalogue: dict[type, object]) -> type | None:
    return next((each for each in rule.__mro__ if each in catalogue), None)


@pytest.mark.parametrize("rule", sorted(set(RULES) - STAFF_ONLY, key=str))
def test_every_refusal_that_reaches_a_citizen_has_a_danish_wording(
    rule: type[errors.DomainError],
) -> None:
    """The citizen's catalogue words it (or a parent below DomainError), translated to Danish."""
    with DANISH.open("rb") as source:
        danish = {m.id: m.string for m in read_po(source, locale="da") if not m.fuzzy}

    worded = _nearest(rule, citizen.MESSAGES)  # type: ignore[arg-type]

    assert worded is not None, rule.__name__
    message_id = citizen.MESSAGES[worded]._args[0]  # type: ignore[attr-defined]
    assert danish.get(message_id), message_id


@pytest.mark.parametrize("rule", sorted(set(RULES + IDENTITY) - CITIZEN_ONLY, key=str))
def test_every_refusal_that_reaches_staff_has_a_wording_in_the_staff_catalogue(
    rule: type[errors.DomainError],
) -> None:
    """The staff catalogue words it (or a parent below DomainError), in Danish."""
    worded = staff.nearest(rule)

    assert worded is not None, rule.__name__
    assert staff.REFUSALS[worded] != rule.message


def test_a_refusal_is_worded_by_its_class_not_by_its_code() -> None:
    """Two refusals that share a code get their own wordings: the class decides."""
    taken, held = errors.SlotTaken(), errors.SlotHeld()
    code, first = two_factor.CodeRefused(), two_factor.FirstCodeRefused()

    assert taken.code == held.code
    assert staff.wording(taken) != staff.wording(held)
    assert code.code == first.code
    assert staff.wording(code) != staff.wording(first)
    assert staff.wording(errors.CapacityTooLow(booked=3)).startswith("3 pladser er booket")


def test_a_forms_field_table_words_only_the_plain_refusals() -> None:
    """A field's wording answers a plain InvalidInput; a refusal with its own wording keeps it."""
    fields = {"name": "Skriv et navn."}

    assert staff.wording(errors.InvalidInput(field="name"), fields) == "Skriv et navn."
    assert (
        staff.wording(errors.PersonalDataRefused(field="name"), fields)
        == (staff.REFUSALS[errors.PersonalDataRefused])
    )
