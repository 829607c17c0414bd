"""The OpenAPI document is generated from the schemas and describes every route."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    """Every /api/v1 route of the app appears in the served document with its methods."""
    routes = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith("openapi.json")
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }

    spec = client.get("/api/v1/openapi.json").get_json()

    documented = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    normalised = {
        (path.replace("<uuid:", "{").replace("<string:", "{").replace(">", "}"), method)
        for path, method in routes
    }
    assert normalised == documented
    assert spec["openapi"].startswith("3.")


def test_openapi_documents_the_error_envelope(client: FlaskClient) -> None:
    """Refusals are documented with the error schema."""

    spec = client.get("/api/v1/openapi.json").get_json()

    create = spec["paths"]["/api/v1/courses"]["post"]["responses"]
    assert {"201", "409", "422"} <= set(create)
    assert "Error" in spec["components"]["schemas"]
