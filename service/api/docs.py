"""The interactive API reference: Swagger UI, served from the service itself (no CDN)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template_string, send_from_directory

OWN = Path(__file__).with_name("reference")
# swagger-ui-dist from npm, vendored by scripts/update-swagger-ui.
VENDOR = OWN / "swagger-ui"
# The oldest releases without a known advisory when last checked: a test fails
# when the vendored bundle is older. swagger-ui-dist 5.36.0 bundles DOMPurify
# 3.4.17 (3.4.11 fixed GHSA-cmwh-pvxp-8882, CVE-2026-65898).
SWAGGER_UI_MINIMUM = (5, 36, 0)
DOMPURIFY_MINIMUM = (3, 4, 17)
VENDOR_FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}

blp = Blueprint("reference", __name__, url_prefix="/api/v1/docs")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Diskret API v1 reference</title>
  <link rel="stylesheet" href="{{ url_for('reference.asset', name='swagger-ui.css') }}">
  <link rel="icon" href="{{ url_for('reference.asset', name='favicon-32x32.png') }}">
</head>
<body>
  <noscript>
    <p>The interactive reference needs JavaScript. The document itself is
    <a href="{{ url_for('api-docs.openapi_json') }}">openapi.json</a>.</p>
  </noscript>
  <div id="reference" data-spec="{{ url_for('api-docs.openapi_json') }}"></div>
  <script src="{{ url_for('reference.asset', name='swagger-ui-bundle.js') }}"></script>
  <script src="{{ url_for('reference.asset', name='reference.js') }}"></script>
</body>
</html>
"""


@blp.get("")
def page() -> str:
    """Show the reference; the page runs no inline script, so the strict CSP holds."""
    return render_template_string(PAGE)


@blp.get("/assets/<name>")
def asset(name: str) -> Response:
    """Serve Swagger UI's own files and the small script that starts it, nothing else."""
    if name in VENDOR_FILES:
        return send_from_directory(VENDOR, name, max_age=86400)
    if name == "reference.js":
        return send_from_directory(OWN, name, max_age=3600)
    abort(404)
    return None
