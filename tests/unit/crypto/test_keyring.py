"""Keyed digests under versioned keys: rotation, domain separation, and no key material shown."""

from __future__ import annotations

import base64

import pytest

import crypto

KEY_ONE = "11" * 32
KEY_TWO = "22" * 32


def test_the_highest_version_is_current() -> None:
    """New digests use the newest key; every version is listed, current first."""

    ring = crypto.Keyring.parse(f"1:{KEY_ONE}, 2:{KEY_TWO}")

    assert ring.current_version == 2
    assert ring.versions == (2, 1)
    assert ring.digest("x", purpose="token").version == 2


def test_a_digest_made_under_an_old_key_is_still_found_after_rotation() -> None:
    """After adding key 2, the candidates of a message include its digest under key 1."""
    old = crypto.Keyring.parse(f"1:{KEY_ONE}").digest("message", purpose="token")

    rotated = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO}")

    assert old in rotated.candidates("message", purpose="token")
    assert rotated.candidates("message", purpose="token")[0].version == 2


def test_purposes_are_separated() -> None:
    """The same message gives different digests for different purposes."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE}")

    token = ring.digest("same", purpose="token")
    api_key = ring.digest("same", purpose="api-key")

    assert token.value != api_key.value
    assert len(token.value) == 32


def test_bytes_and_text_digest_alike() -> None:
    """A str message digests as its UTF-8 bytes."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE}")

    assert ring.digest("æøå", purpose="p") == ring.digest("æøå".encode(), purpose="p")


def test_base64url_keys_are_accepted() -> None:
    """Keys may be written in base64url instead of hex."""
    material = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")

    ring = crypto.Keyring.parse(f"3:{material}")

    assert ring.current_version == 3


def test_derived_keys_depend_on_context_and_version() -> None:
    """Derived keys are 32 bytes and differ by context and by key version."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO}")

    first = ring.derive_key("a", purpose="idempotency")

    assert len(first) == 32
    assert first != ring.derive_key("b", purpose="idempotency")
    assert first != ring.derive_key("a", purpose="idempotency", version=1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        f"{KEY_ONE}",
        f"x:{KEY_ONE}",
        f"0:{KEY_ONE}",
        f"1:{KEY_ONE},1:{KEY_TWO}",
        "1:abcd",
        "1:@@@@not-a-key@@@@",
    ],
)
def test_bad_configuration_is_refused_without_echoing_keys(text: str) -> None:
    """Malformed, duplicate, non-positive and short keys raise KeyringError, quoting no key."""

    with pytest.raises(crypto.KeyringError) as caught:
        crypto.Keyring.parse(text)

    assert KEY_ONE not in str(caught.value)
    assert KEY_TWO not in str(caught.value)


def test_an_empty_keyring_is_refused() -> None:
    """A keyring needs at least one key."""

    with pytest.raises(crypto.KeyringError):
        crypto.Keyring({})


def test_an_unknown_version_is_refused() -> None:
    """Asking for a version that does not exist raises KeyringError."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE}")

    with pytest.raises(crypto.KeyringError):
        ring.digest("x", purpose="p", version=9)


def test_repr_shows_versions_but_no_key() -> None:
    """A keyring in a log or a traceback shows its versions only."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE}")

    assert repr(ring) == "Keyring(versions=[1])"


def test_a_generated_configuration_parses() -> None:
    """generate_config gives a fresh 256-bit key in the configuration format."""
    text = crypto.Keyring.generate_config(version=4)

    ring = crypto.Keyring.parse(text)

    assert ring.current_version == 4
    assert text != crypto.Keyring.generate_config(version=4)


def test_constant_time_equal_compares_bytes() -> None:
    """Equal bytes are equal, different bytes are not."""

    assert crypto.constant_time_equal(b"abc", b"abc")
    assert not crypto.constant_time_equal(b"abc", b"abd")


def test_a_wrapped_digest_is_found_with_both_keys_and_not_with_the_old_one_alone() -> None:
    """A digest under key 1 wrapped under key 2 is a candidate only while both keys are there."""
    old = crypto.Keyring.parse(f"1:{KEY_ONE}")
    rotated = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO}")
    newest = crypto.Keyring.parse(f"2:{KEY_TWO}")
    stored = rotated.rewrap(old.digest("message", purpose="token"), purpose="token")

    found = [d.value for d in rotated.candidates("message", purpose="token")]
    old_alone = [d.value for d in old.candidates("message", purpose="token")]
    new_alone = [d.value for d in newest.candidates("message", purpose="token")]

    assert (stored.version, stored.inner) == (2, 1)
    assert stored.value in found
    assert stored.value not in old_alone
    assert stored.value not in new_alone


def test_wrapping_is_deterministic_and_bound_to_purpose_and_inner_version() -> None:
    """The same digest wraps alike every time; another purpose or inner version cannot unwrap it."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO}")
    inner = ring.digest("message", purpose="token", version=1)
    wrapped = ring.wrap(inner, purpose="token")

    again = ring.wrap(inner, purpose="token")

    assert again == wrapped
    assert ring.unwrap(wrapped, purpose="token") == inner
    with pytest.raises(crypto.SealError):
        ring.unwrap(wrapped, purpose="api-key")
    with pytest.raises(crypto.SealError):
        ring.unwrap(crypto.Digest(2, wrapped.value, inner=3), purpose="token")


def test_rewrapping_moves_a_wrapped_digest_to_the_newest_key() -> None:
    """A digest wrapped under key 2 is wrapped under key 3 instead, keeping its inner key 1."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO}")
    three = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO},3:{'33' * 32}")
    wrapped = ring.wrap(ring.digest("m", purpose="p", version=1), purpose="p")

    moved = three.rewrap(wrapped, purpose="p")

    assert (moved.version, moved.inner) == (3, 1)
    assert three.unwrap(moved, purpose="p") == ring.digest("m", purpose="p", version=1)
    assert moved.value in [
        d.value
        for d in crypto.Keyring.parse(f"1:{KEY_ONE},3:{'33' * 32}").candidates("m", purpose="p")
    ]


def test_rewrapping_a_digest_whose_inner_key_is_current_unwraps_it() -> None:
    """A wrapped digest whose inner key became current is stored plain again."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO}")
    wrapped = ring.wrap(ring.digest("m", purpose="p", version=2), purpose="p", version=1)

    plain = ring.rewrap(wrapped, purpose="p")

    assert plain == ring.digest("m", purpose="p", version=2)


def test_wrapping_twice_or_under_its_own_key_and_unwrapping_a_plain_digest_are_refused() -> None:
    """Only a plain digest wraps, under another version; only a wrapped one unwraps."""
    ring = crypto.Keyring.parse(f"1:{KEY_ONE},2:{KEY_TWO}")
    plain = ring.digest("m", purpose="p", version=1)
    wrapped = ring.wrap(plain, purpose="p")

    with pytest.raises(crypto.KeyringError):
        ring.wrap(wrapped, purpose="p", version=1)
    with pytest.raises(crypto.KeyringError):
        ring.wrap(plain, purpose="p", version=1)
    with pytest.raises(crypto.KeyringError):
        ring.unwrap(plain, purpose="p")
    with pytest.raises(crypto.KeyringError):
        ring.wrap(plain, purpose="p", version=5)
