"""A small client for the citizen pages: follows the forms as a browser without JavaScript would."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

BASE = "https://localhost"


@dataclass
class Page:
    """A page as fetched: status, HTML and the form values a browser would send back."""

    response: TestResponse
    html: str = field(init=False)

    def __post_init__(self) -> None:
        self.html = self.response.get_data(as_text=True)

    @property
    def status(self) -> int:
        """Return the HTTP status."""
        return self.response.status_code

    def csrf(self) -> str:
        """Return the page's CSRF token."""
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.html)
        assert found, "the page has no CSRF token"
        return found.group(1)

    def links(self, start: str) -> list[str]:
        """Return the page's links whose path starts with ``start``."""
        return [
            unescape(href)
            for href in re.findall(r'href="([^"]+)"', self.html)
            if href.startswith(start)
        ]

    def radio_values(self, name: str) -> list[str]:
        """Return the values of a group of radio buttons, in page order."""
        return re.findall(rf'name="{name}"[^>]*type="radio" value="([^"]+)"', self.html)

    def code(self) -> str:
        """Return the code shown on the token page, grouped with dashes."""
        groups = re.findall(r'<span class="group">([0-9A-Z]{4})</span>', self.html)
        assert len(groups) == 5, "no code on the page"
        return "-".join(groups)

    def text(self) -> str:
        """Return the visible text of the page's main part, tags removed."""
        main = self.html.split("<main", 1)[-1].split("</main>", 1)[0]
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


class Citizen:
    """One browser: cookies kept between requests, over HTTPS as the cookies require."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str) -> Page:
        """Fetch a page."""
        return Page(self.client.get(path, base_url=BASE))

    def post(self, path: str, data: dict[str, Any], *, csrf: str | None) -> Page:
        """Send a form, with the CSRF token when given."""
        body = {**data, **({"csrf_token": csrf} if csrf else {})}
        return Page(self.client.post(path, data=body, base_url=BASE))

    def cookie(self, name: str) -> str | None:
        """Return a cookie's value as the browser holds it."""
        found = self.client.get_cookie(name, domain="localhost")
        return found.value if found else None
