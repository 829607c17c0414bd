"""The JSON API v1: blueprints, the error envelope and the generated OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from service.api import directory, docs, manage, me, public, stats, tokens
from service.http import errors


class DiskretApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with Diskret's own error envelope instead of its default one."""

    ERROR_SCHEMA = errors.ErrorSchema

    def _register_error_handlers(self) -> None:
        errors.init_app(self._app)


SECURITY_SCHEMES: dict[str, Any] = {
    "token": {
        "type": "http",
        "scheme": "bearer",
        "description": "The citizen's code, e.g. 7K3M-Q9TD-0PXA-H2RW-B5NE.",
    },
    "apiKey": {"type": "http", "scheme": "bearer", "description": "A service key: dsk_..."},
}


def init_app(app: Flask) -> None:
    """Register the API blueprints, the OpenAPI document at /api/v1/openapi.json and its
    interactive reference at /api/v1/docs."""
    app.config.update(
        API_TITLE="Diskret",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = DiskretApi(app, spec_kwargs={"components": {"securitySchemes": SECURITY_SCHEMES}})
    for module in (public, me, tokens, stats, manage, directory):
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.blp)
