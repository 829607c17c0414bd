"""Tokens, keyed digests, password hashing and sealing for Diskret.

A leaf package: it imports nothing from ``service``.
"""

from crypto._keyring import Digest, Keyring, constant_time_equal
from crypto._passwords import (
    STAFF_PROFILE,
    TEST_PROFILE,
    PasswordCheck,
    PasswordProfile,
    burn_password_time,
    hash_password,
    verify_password,
)
from crypto._seal import seal, unseal
from crypto._signing import generate_webhook_secret, sign_webhook, verify_webhook
from crypto._strength import secret_weakness
from crypto._tokens import (
    API_KEY_PREFIX,
    TOKEN_BITS,
    format_token,
    generate_api_key,
    generate_reference,
    generate_token,
    is_api_key_shaped,
    looks_like_token,
    normalize_reference,
    normalize_token,
)
from crypto.exceptions import (
    CryptoError,
    InvalidTokenError,
    KeyringError,
    SealError,
)

__all__ = [
    "API_KEY_PREFIX",
    "STAFF_PROFILE",
    "TEST_PROFILE",
    "TOKEN_BITS",
    "CryptoError",
    "Digest",
    "InvalidTokenError",
    "Keyring",
    "KeyringError",
    "PasswordCheck",
    "PasswordProfile",
    "SealError",
    "burn_password_time",
    "constant_time_equal",
    "format_token",
    "generate_api_key",
    "generate_reference",
    "generate_token",
    "generate_webhook_secret",
    "hash_password",
    "is_api_key_shaped",
    "looks_like_token",
    "normalize_reference",
    "normalize_token",
    "seal",
    "secret_weakness",
    "sign_webhook",
    "unseal",
    "verify_password",
    "verify_webhook",
]
