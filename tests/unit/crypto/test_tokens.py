"""Tokens: random, grouped, typeable, and every single typo caught before any lookup."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crypto
from crypto._tokens import ALPHABET, DATA_SYMBOLS, TOKEN_SYMBOLS

DISPLAY = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")

data_symbols = st.text(alphabet=ALPHABET, min_size=DATA_SYMBOLS, max_size=DATA_SYMBOLS)


def _with_check(data: str) -> str | None:
    """Return data plus its check symbol, or None where the check needs an extra symbol."""
    value = 0
    for symbol in data:
        value = value * 32 + ALPHABET.index(symbol)
    check = value % 37
    return data + ALPHABET[check] if check < 32 else None


def test_a_token_has_five_groups_of_four_and_at_least_80_bits() -> None:
    """The display form is five groups of four Crockford symbols; entropy exceeds 80 bits."""

    token = crypto.generate_token()

    assert DISPLAY.match(token)
    assert crypto.TOKEN_BITS >= 80 + 1


def test_tokens_do_not_repeat() -> None:
    """A thousand tokens are all different."""

    tokens = {crypto.generate_token() for _ in range(1000)}

    assert len(tokens) == 1000


@given(data_symbols)
def test_normalize_and_format_round_trip(data: str) -> None:
    """Any valid canonical token survives format then normalize unchanged."""
    canonical = _with_check(data)
    if canonical is None:
        return

    displayed = crypto.format_token(canonical)

    assert crypto.normalize_token(displayed) == canonical


canonical_tokens = data_symbols.map(_with_check).filter(lambda token: token is not None)


@given(canonical_tokens, st.data())
def test_case_spaces_dashes_and_lookalikes_do_not_matter(
    canonical: str, data: st.DataObject
) -> None:
    """Lower case, stray spaces or dashes, and I/L/O for 1/0 are all accepted."""
    typed = []
    for symbol in canonical:
        variants = [symbol, symbol.lower()]
        if symbol == "1":
            variants += ["I", "l", "L", "i"]
        if symbol == "0":
            variants += ["O", "o"]
        typed.append(data.draw(st.sampled_from(variants)))
        typed.append(data.draw(st.sampled_from(["", "", " ", "-", " - "])))

    assert crypto.normalize_token("".join(typed)) == canonical


@pytest.mark.parametrize("sample", range(5))
def test_every_single_substitution_is_caught(sample: int) -> None:
    """Replacing any one symbol by any other is rejected by the check symbol."""
    canonical = crypto.normalize_token(crypto.generate_token())

    for position in range(TOKEN_SYMBOLS):
        for symbol in ALPHABET:
            if symbol == canonical[position]:
                continue
            typo = canonical[:position] + symbol + canonical[position + 1 :]
            with pytest.raises(crypto.InvalidTokenError) as caught:
                crypto.normalize_token(typo)
            assert caught.value.reason == "check"


@given(canonical_tokens, st.integers(min_value=0, max_value=TOKEN_SYMBOLS - 2))
def test_swapping_two_neighbours_is_caught(canonical: str, position: int) -> None:
    """Swapping two different neighbouring symbols is rejected."""
    if canonical[position] == canonical[position + 1]:
        return
    swapped = (
        canonical[:position]
        + canonical[position + 1]
        + canonical[position]
        + canonical[position + 2 :]
    )

    with pytest.raises(crypto.InvalidTokenError) as caught:
        crypto.normalize_token(swapped)

    assert caught.value.reason == "check"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("ABCD-EFGH", "length"),
        ("0" * 21, "length"),
        ("U" * 20, "character"),
        ("****-0000-0000-0000-0000", "character"),
    ],
)
def test_malformed_tokens_say_why(text: str, reason: str) -> None:
    """Empty, short, long and foreign-symbol input each name their problem."""

    with pytest.raises(crypto.InvalidTokenError) as caught:
        crypto.normalize_token(text)

    assert caught.value.reason == reason


def test_an_error_never_repeats_the_input() -> None:
    """The message of a rejected token does not contain the token."""
    token = crypto.generate_token()
    typo = ("1" if token[0] != "1" else "2") + token[1:]

    with pytest.raises(crypto.InvalidTokenError) as caught:
        crypto.normalize_token(typo)

    assert typo not in str(caught.value)
    assert typo.replace("-", "") not in str(caught.value)


def test_a_check_value_that_needs_an_extra_symbol_is_never_accepted() -> None:
    """Data whose mod-37 check is 32-36 has no valid token (such tokens are never issued)."""
    data = next(
        d
        for d in ("".join(ALPHABET[(i * 7 + k) % 32] for k in range(19)) for i in range(200))
        if _with_check(d) is None
    )

    for symbol in ALPHABET:
        with pytest.raises(crypto.InvalidTokenError):
            crypto.normalize_token(data + symbol)


@given(st.text(max_size=60))
def test_garbage_raises_only_invalid_token_error(text: str) -> None:
    """Arbitrary text is either a token or an InvalidTokenError, never anything else."""
    try:
        outcome = crypto.normalize_token(text)
    except crypto.InvalidTokenError as error:
        outcome = error.reason

    assert outcome in {"empty", "length", "character", "check"} or len(outcome) == TOKEN_SYMBOLS


def test_format_refuses_the_wrong_length() -> None:
    """format_token needs exactly 20 symbols."""

    with pytest.raises(crypto.InvalidTokenError):
        crypto.format_token("ABC")


def test_looks_like_token_finds_tokens_in_text() -> None:
    """A token in display or compact form inside text is found; lookalike noise is not."""
    token = crypto.generate_token()

    assert crypto.looks_like_token(f"log line: user typed {token} and left")
    assert crypto.looks_like_token("x " + token.replace("-", "").lower() + " y")
    assert not crypto.looks_like_token("ordinary text with ABCD-EFGH-JKMN-PQRS-TVWZ inside")
    assert not crypto.looks_like_token("")


def test_references_are_short_random_and_grouped() -> None:
    """A course reference is two groups of four Crockford symbols."""

    references = {crypto.generate_reference() for _ in range(200)}

    assert len(references) == 200
    assert all(re.match(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", r) for r in references)


@pytest.mark.parametrize("typed", ["k7qm-4xpz", " K7QM 4XPZ ", "K7QM4XPZ", "k-7-q-m-4-x-p-z"])
def test_a_reference_is_read_whatever_its_case_spaces_and_dashes(typed: str) -> None:
    """A reference told on the phone is matched in its display form."""

    assert crypto.normalize_reference(typed) == "K7QM-4XPZ"


def test_a_reference_reads_lookalikes_as_crockford_does() -> None:
    """I, L and O are the digits 1, 1 and 0, as in a code."""

    assert crypto.normalize_reference("iLo0-AAAA") == "1100-AAAA"


@pytest.mark.parametrize("typed", ["", "K7QM-4XP", "K7QM-4XPZZ", "K7QM-4XPU", "K7QM-4XP!"])
def test_a_malformed_reference_is_refused(typed: str) -> None:
    """Too short, too long, or holding a symbol outside the alphabet: refused before any lookup."""

    with pytest.raises(crypto.InvalidTokenError):
        crypto.normalize_reference(typed)


def test_api_keys_carry_the_prefix_and_256_bits() -> None:
    """API keys start with dsk_ so secret scanners can find leaked ones."""

    key = crypto.generate_api_key()

    assert key.startswith(crypto.API_KEY_PREFIX)
    assert crypto.is_api_key_shaped(key)
    assert not crypto.is_api_key_shaped(key[:-1])
    assert not crypto.is_api_key_shaped(crypto.generate_token())
