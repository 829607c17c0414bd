"""Staff-entered text never carries a CPR number, an e-mail, a phone number or an IP (SPEC P1)."""

from __future__ import annotations

import pytest

from service.core.errors import PersonalDataRefused
from service.core.text import looks_like_cpr, refuse_personal_data

# Every way of writing one fake CPR number (1 January 1990) that the detector must see.
CPR_FORMS = [
    "Gruppe 0101901234",
    "010190-1234",
    "010190 - 1234",
    "010190 1234",
    "01.01.90-1234",
    "010190.1234",
    "01 01 90 1234",
    "010190\u20101234",  # hyphen
    "010190\u20111234",  # non-breaking hyphen
    "010190\u20131234",  # en dash
    "010190\u20151234",  # horizontal bar
    "010190\u22121234",  # minus sign
    "0101\u200b90\u200d-\u20601234\ufeff",  # zero-width space, joiner, word joiner, BOM
    "\uff10\uff11\uff10\uff11\uff19\uff10\uff11\uff12\uff13\uff14",  # full-width digits
    "ref 311299 9999 x",
    "290204-0000",
]


@pytest.mark.parametrize("text", CPR_FORMS)
def test_cpr_numbers_are_found_however_written(text: str) -> None:
    """Ten digits starting with a valid date are CPR-like, whatever separates or hides them."""

    assert looks_like_cpr(text)


@pytest.mark.parametrize(
    "text",
    [
        "Tirsdagsgruppen",
        "Gruppe 2",
        "3201001234",
        "011300-1234",
        "12345678901",
        "Rum 4",
        "Mandag-torsdag 08.00-16.00, fredag 08.00-13.00",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    """Names, short numbers, opening hours and ten digits without a valid date pass."""

    assert not looks_like_cpr(text)


@pytest.mark.parametrize(
    "text",
    [
        *CPR_FORMS,
        "skriv til nogen@example.invalid",
        "nogen\uff20example.invalid",  # full-width at sign
        "ring 12 34 56 78",
        "ring +45 12345678",
        "ring 0045 1234 5678",
        "server 192.0.2.17",
        "server 127.0.0.1",
        "server 2001:db8::17",
        "server ::1",
    ],
)
def test_personal_data_is_refused_with_the_field_named(text: str) -> None:
    """The refusal names the field, and its message repeats nothing of the text."""

    with pytest.raises(PersonalDataRefused) as caught:
        refuse_personal_data(text, field="name")

    assert caught.value.data == {"field": "name"}
    assert "CPR number, an e-mail address, a phone number or an IP address" in caught.value.text
    assert not any(part in caught.value.text for part in ("1234", "example", "192", "::1"))


@pytest.mark.parametrize(
    "text", ["Tirsdagsgruppen", "Gruppe 2 (17-19.30)", "Indgang fra gården, 2. sal", "v1.2"]
)
def test_neutral_text_is_kept_as_it_is(text: str) -> None:
    """A neutral name comes back unchanged."""

    assert refuse_personal_data(text, field="name") == text


@pytest.mark.parametrize("text", ["Ring 12 34 56 78.", "Spørg 192.0.2.7.", "Spørg 010190-1234."])
def test_a_full_stop_after_the_number_hides_nothing(text: str) -> None:
    """A sentence may end right after a phone number, an address or a CPR number."""

    with pytest.raises(PersonalDataRefused):
        refuse_personal_data(text, field="entrance")
