"""One error envelope for every error, 500 included, and the security headers on every answer."""

from __future__ import annotations

import pytest
import werkzeug.exceptions as wexc
from flask import Flask
from flask.testing import FlaskClient

from tests.support.world import World

ALL_HTTP_ERRORS = sorted(
    {
        cls
        for cls in vars(wexc).values()
        if isinstance(cls, type)
        and issubclass(cls, wexc.HTTPException)
        and cls.code is not None
        and cls.code >= 400
    },
    key=lambda cls: cls.__name__,
)


@pytest.fixture
def raising_app(app: Flask) -> Flask:
    """Add routes that raise each werkzeug HTTP error and one unexpected exception."""

    def _raise(name: str) -> str:
        raise getattr(wexc, name)()

    def _crash() -> str:
        raise RuntimeError("secret detail that must not leak")

    # The same failures under the API (JSON envelope) and under the pages (HTML).
    for prefix in ("/api/v1/test-only", "/test-only"):
        app.add_url_rule(f"{prefix}/raise/<name>", f"raise{prefix}", _raise)
        app.add_url_rule(f"{prefix}/crash", f"crash{prefix}", _crash)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("error", ALL_HTTP_ERRORS, ids=lambda cls: cls.__name__)
def test_every_http_error_has_the_envelope(
    raising_app: Flask, error: type[wexc.HTTPException]
) -> None:
    """Each werkzeug HTTP error answers with code, status, message and errors."""

    response = raising_app.test_client().get(f"/api/v1/test-only/raise/{error.__name__}")

    body = response.get_json()
    assert response.status_code == error.code
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["status"] == error.code
    assert isinstance(body["code"], str)


def test_an_unexpected_exception_is_a_500_envelope_without_details(raising_app: Flask) -> None:
    """A crash answers 500 in the envelope and says nothing of the exception."""

    response = raising_app.test_client().get("/api/v1/test-only/crash")

    assert response.status_code == 500
    assert response.get_json()["code"] == "internal_error"
    assert "secret detail" not in response.get_data(as_text=True)


@pytest.mark.parametrize("error", ALL_HTTP_ERRORS, ids=lambda cls: cls.__name__)
def test_outside_the_api_every_http_error_is_a_page(
    raising_app: Flask, error: type[wexc.HTTPException]
) -> None:
    """A citizen meets an HTML page with the same status, never the JSON envelope."""

    response = raising_app.test_client().get(f"/test-only/raise/{error.__name__}")

    assert response.status_code == error.code
    assert response.mimetype == "text/html"
    assert "<h1>" in response.get_data(as_text=True)


def test_outside_the_api_a_crash_is_a_page_without_details(raising_app: Flask) -> None:
    """A crash on a page answers 500 and says nothing of the exception."""

    response = raising_app.test_client().get("/test-only/crash")

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Intet blev booket" in response.get_data(as_text=True)


def test_an_unknown_route_and_method_get_the_envelope(client: FlaskClient, world: World) -> None:
    """404 and 405 from routing use the envelope too."""

    missing = client.get("/api/v1/nothing-here")
    wrong = client.put("/api/v1/municipalities")

    assert (missing.status_code, missing.get_json()["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.get_json()["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize(
    "path", ["/api/v1/municipalities", "/api/v1/openapi.json", "/api/v1/nothing-here"]
)
def test_security_headers_are_on_every_answer(client: FlaskClient, world: World, path: str) -> None:
    """P8: no-store, a strict CSP, no referrer and HSTS on every answer, errors included."""

    response = client.get(path)

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_the_request_log_names_the_route_never_the_path_sent(
    client: FlaskClient, world: World, captured_logs: pytest.LogCaptureFixture
) -> None:
    """P3: a path can carry what someone typed into it; the log holds the route's pattern."""
    typed = "010100-0000"  # made up, shaped like a CPR number

    client.get(f"/api/v1/centres/{world.centre_a}/slots")
    client.get(f"/api/v1/{typed}")
    client.get(f"/book/{typed}")

    requests = [r for r in captured_logs.records if r.name == "diskret.request"]
    assert [(vars(r)["path"], vars(r)["status"]) for r in requests] == [
        ("/api/v1/centres/<uuid:centre_id>/slots", 200),
        ("(no route)", 404),
        ("(no route)", 404),
    ]
    assert str(world.centre_a) not in captured_logs.text
    assert typed not in captured_logs.text
