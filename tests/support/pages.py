"""A small client for the citizen pages: follows the forms as a browser without JavaScript would."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

BASE = "https://localhost"


@dataclass
class Form:
    """One ``<form method="post">`` of a page: where it posts and the fields a browser would send.

    ``values`` holds what the page fills in (hidden inputs such as the CSRF token,
    text values, checked boxes, selected options); ``names`` every field the form has.
    ``actions`` are the addresses it can post to: its ``action``, then the
    ``formaction`` of any of its buttons (a second button that sends the same
    fields elsewhere).
    """

    action: str
    names: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.actions = self.actions or [self.action]

    def posts_to(self, action: str) -> str | None:
        """Return the address this form posts to for ``action``, or None if it never does.

        ``action`` may leave out the query string of a form's address; when it
        names one, the whole address must match.
        """
        for own in self.actions:
            if own == action or ("?" not in action and own.split("?", 1)[0] == action):
                return own
        return None


class _Forms(HTMLParser):
    """Collect a page's POST forms and their fields, as a browser without JavaScript sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and found.get("method", "get").lower() == "post":
            self._open = Form(found.get("action", ""))
            self.forms.append(self._open)
        if self._open is None:
            return
        if tag == "option":
            if self._select and "selected" in found:
                self._open.values[self._select] = found.get("value", "")
            return
        if tag in {"input", "button"} and "formaction" in found:
            self._open.actions.append(found["formaction"])
        if "name" not in found:
            return
        if tag == "input":
            self._input(self._open, found)
        elif tag in {"textarea", "button"}:
            self._open.names.add(found["name"])
        elif tag == "select":
            self._select = found["name"]
            self._open.names.add(found["name"])

    @staticmethod
    def _input(form: Form, found: dict[str, str]) -> None:
        kind = found.get("type", "text").lower()
        form.names.add(found["name"])
        if kind in {"checkbox", "radio"} and "checked" not in found:
            return
        if kind not in {"submit", "button", "reset"}:
            form.values[found["name"]] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "select":
            self._select = None


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

    def form(self, action: str, *, holding: Mapping[str, str] | None = None) -> Form:
        """Return the page's one POST form that sends to ``action``.

        ``action`` is a path (a form whose address adds a query string matches
        it) or a whole address. Where a page shows several forms that post to
        the same address (one per row), ``holding`` picks the one whose own
        values hold these pairs, such as a hidden id.
        """
        parser = _Forms()
        parser.feed(self.html)
        found = [form for form in parser.forms if form.posts_to(action) is not None]
        assert found, f"the page ({self.status}) has no form posting to {action}"
        if holding is not None:
            wanted = holding.items()
            found = [form for form in found if wanted <= form.values.items()]
            assert found, f"no form posting to {action} holds {dict(holding)}"
        assert len(found) == 1, f"the page has {len(found)} forms posting to {action}"
        return found[0]

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

    def submit(
        self,
        page: Page,
        action: str,
        data: dict[str, Any],
        *,
        holding: Mapping[str, str] | None = None,
    ) -> Page:
        """Send the form of ``page`` that posts to ``action``, as a person fills it in.

        The form's own values (its CSRF token among them) go with it, to the
        address the form names (its query string included); a field the form
        does not have is a test error, since no browser could send it.
        ``holding`` chooses among several forms that post to the same address
        (see ``Page.form``).
        """
        form = page.form(action, holding=holding)
        unknown = set(data) - form.names
        assert not unknown, f"the form posting to {action} has no field {sorted(unknown)}"
        address = form.posts_to(action)
        assert address is not None
        return Page(self.client.post(address, data={**form.values, **data}, base_url=BASE))

    def cookie(self, name: str) -> str | None:
        """Return a cookie's value as the browser holds it."""
        found = self.client.get_cookie(name, domain="localhost")
        return found.value if found else None
