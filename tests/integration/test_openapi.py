"""The OpenAPI document is generated from the schemas and describes every route."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    """Every /api/v1 route of the app appears in the served document with its methods."""
    routes = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and not rule.rule.endswith("openapi.json")
        and not rule.rule.startswith("/api/v1/docs")
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


def test_the_reference_page_is_served_by_the_service_itself(client: FlaskClient) -> None:
    """Swagger UI and its starter come from this service, under the strict CSP, no inline script."""
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(source.startswith("/api/v1/") for source in sources)
    assert "<script>" not in html
    for source in sources:
        with client.get(source) as asset:
            assert asset.status_code == 200, source
            assert asset.get_data()


def test_the_reference_serves_no_other_file(client: FlaskClient) -> None:
    """Only the listed assets: not the bundle's other files, not a path outside it."""
    for name in ("index.html", "oauth2-redirect.html", "..%2F..%2Fpyproject.toml"):
        assert client.get(f"/api/v1/docs/assets/{name}").status_code == 404


def test_every_request_body_has_an_example(client: FlaskClient) -> None:
    """A client can see what to send: each JSON body schema carries an example."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    bodies = [
        operation["requestBody"]["content"]["application/json"]
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "requestBody" in operation
    ]

    assert len(bodies) >= 9
    for body in bodies:
        name = body["schema"]["$ref"].split("/")[-1]
        assert "example" in body, name
        assert set(body["example"]) <= set(schemas[name]["properties"]), name


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_bundled_swagger_ui_is_not_older_than_the_stated_minimum(client: FlaskClient) -> None:
    """The served swagger-ui-dist and its DOMPurify are at least the versions docs.py states."""
    from service.api import docs

    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as answer:
        bundle = answer.get_data(as_text=True)
    shipped = json.loads((docs.VENDOR / "package.json").read_text(encoding="utf-8"))
    purifier = re.search(r'DOMPurify\.version="([0-9.]+)"', bundle)

    assert shipped["name"] == "swagger-ui-dist"
    assert _version(shipped["version"]) >= docs.SWAGGER_UI_MINIMUM
    assert purifier is not None
    assert _version(purifier.group(1)) >= docs.DOMPURIFY_MINIMUM
