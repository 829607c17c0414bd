"""Diskret: anonymous booking of ambulant drug treatment (serviceloven § 101 a)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from service import (
    api,
    config,
    db,
    health,
    limits,
    logs,
    monitoring,
    request_guard,
    staff,
    web,
    web_safety,
)
from service.core.errors import Busy
from service.http import keyring
from service.passwords import PasswordBusyError, set_concurrency


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app from the environment, or from ``test_config`` in tests."""
    instance = os.environ.get("DISKRET_INSTANCE_PATH", str(Path.cwd() / "instance"))
    app = Flask(__name__, instance_path=instance, static_folder=None)
    app.config.from_mapping(config.from_environ())
    if test_config is not None:
        app.config.update(test_config)
    config.check_complete(app.config)
    keyring.init_app(app)
    set_concurrency(
        app.config["PASSWORD_CONCURRENCY"],
        wait=app.config["PASSWORD_WAIT_MS"] / 1000,
        nice=app.config["PASSWORD_NICE"],
    )
    app.register_error_handler(PasswordBusyError, _password_busy)
    if app.config["PROXY_COUNT"]:
        # Trust exactly as many proxies as are configured, never a client's own header.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    logs.init_app(app)
    db.init_app(app)
    web_safety.init_app(app)
    limits.init_app(app)
    request_guard.init_app(app)
    health.init_app(app)
    monitoring.init_app(app)
    api.init_app(app)
    web.init_app(app)
    staff.init_app(app)
    return app


def _password_busy(_error: PasswordBusyError) -> Response:
    # Every argon2 slot stayed taken (a flood of sign-ins): the same retryable
    # "busy" answer as a lock timeout, as a page or as JSON by the path.
    return current_app.make_response(current_app.handle_user_exception(Busy()))
