"""Staff-entered text never carries a CPR number (SPEC P1)."""

from __future__ import annotations

import pytest

from service.booking.errors import PersonalDataRefused
from service.booking.text import looks_like_cpr, refuse_cpr


@pytest.mark.parametrize(
    "text", ["Gruppe 0101001234", "010100-1234", "ref 311299 9999 x", "290204-0000"]
)
def test_cpr_shaped_numbers_are_found(text: str) -> None:
    """Ten digits starting with a valid date, with or without a dash, are CPR-like."""

    assert looks_like_cpr(text)


@pytest.mark.parametrize(
    "text", ["Tirsdagsgruppen", "Gruppe 2", "3201001234", "011300-1234", "12345678901", "Rum 4"]
)
def test_ordinary_text_passes(text: str) -> None:
    """Names, short numbers and ten digits without a valid date pass."""

    assert not looks_like_cpr(text)


def test_a_cpr_like_name_is_refused_with_the_field_named() -> None:
    """The refusal names the field, and its message does not repeat the number."""

    with pytest.raises(PersonalDataRefused) as caught:
        refuse_cpr("Gruppe 010100-1234", field="name")

    assert caught.value.data == {"field": "name"}
    assert "1234" not in caught.value.text
