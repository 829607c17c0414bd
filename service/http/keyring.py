"""The one accessor of the service's keyring of versioned digest keys."""

from __future__ import annotations

from flask import Flask, current_app

import crypto

KEYRING = "diskret.keyring"


def init_app(app: Flask) -> None:
    """Parse ``TOKEN_KEY`` once and keep the keyring on the app."""
    app.extensions[KEYRING] = crypto.Keyring.parse(app.config["TOKEN_KEY"])


def keyring_of(app: Flask) -> crypto.Keyring:
    """Return an app's keyring, outside a request too."""
    ring: crypto.Keyring = app.extensions[KEYRING]
    return ring


def keyring() -> crypto.Keyring:
    """Return the current app's keyring."""
    return keyring_of(current_app)
