"""What the privacy audit recognises, and what it lets pass."""

from __future__ import annotations

import json

import pytest

import crypto
from service.privacy_audit import kinds_in
from tests.unit.test_text import CPR_FORMS


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("born 010190-1234 here", "cpr-number"),
        ("0101901234", "cpr-number"),
        ("write to someone@example.invalid", "e-mail"),
        ("call +45 12 34 56 78", "phone-number"),
        ("call 0045 1234 5678", "phone-number"),
        ("call 12345678", "phone-number"),
        ("from 192.0.2.17 at noon", "ip-address"),
        ("from 10.1.2.3", "ip-address"),
        ("from 127.0.0.1:8000", "ip-address"),
        ("from 0.0.0.0", "ip-address"),
        ("from 2001:db8::17", "ip-address"),
        ("from ::1", "ip-address"),
        ("from [::1]:8000", "ip-address"),
        ("key dsk_AbCdEfGhIjKlMnOpQrStUvWx", "api-key"),
    ],
)
def test_identifying_things_are_found(text: str, kind: str) -> None:
    """Each kind in a sentence of its own; every address counts, loopback too."""
    assert kind in kinds_in(text)


@pytest.mark.parametrize("text", CPR_FORMS)
def test_every_form_of_a_cpr_number_is_found_raw_and_json_escaped(text: str) -> None:
    """A CPR number however written, as typed and inside a JSON log line (ASCII-escaped)."""

    escaped = json.dumps({"message": text})

    assert "cpr-number" in kinds_in(text)
    assert "cpr-number" in kinds_in(escaped)


def _code_forms(token: str) -> list[str]:
    compact = token.replace("-", "")
    return [
        token,
        compact,
        token.lower(),
        compact.lower(),
        token.replace("-", " "),
        token.replace("-", "\u2011"),
    ]


def test_a_real_code_is_found_in_every_form_raw_and_json_escaped() -> None:
    """Grouped or not, upper or lower case, any dash, in a log line, escaped once or twice."""
    token = crypto.generate_token()
    missed = []
    for form in _code_forms(token):
        lines = [
            f"code {form}.",
            json.dumps({"message": f"code {form}"}),
            json.dumps({"message": f"code {form}"}).replace("-", "\\u002d"),
            json.dumps({"message": json.dumps({"token": form})}),
        ]
        missed += [line for line in lines if "token" not in kinds_in(line)]

    assert missed == []


def test_escaped_addresses_in_a_json_line_are_found() -> None:
    """An e-mail whose @ and an address whose dots are JSON escapes are still found."""
    line = '{"message": "from 127\\u002e0\\u002e0\\u002e1, to someone\\u0040example.invalid"}'

    assert {"ip-address", "e-mail"} <= kinds_in(line)


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/me 200 3.1ms",
        "2026-11-25T06:00:07+00:00 INFO diskret.request",
        "course 9f1c3e2a-5b7d-4c8e-9f0a-1b2c3d4e5f6a",
        "310299-1234 is no date",  # 31 February
        "Vesterbrogade 1, 1620 København V",
        "version 1.2.3.4.5",
        "this that with from have",  # twenty letters in groups of four, no digit
        "Booting worker with pid: 41234",
        json.dumps(
            {
                "time": "2026-12-07T12:31:16+00:00",
                "level": "INFO",
                "logger": "diskret.request",
                "message": "GET /my/groups/<uuid:group_id> 200",
                "method": "GET",
                "path": "/my/groups/<uuid:group_id>",
                "status": 200,
                "duration_ms": 3.12,
            }
        ),
    ],
)
def test_ordinary_lines_pass(text: str) -> None:
    """Request lines, timestamps, UUIDs, versions, pids and impossible dates are no finding."""
    assert kinds_in(text) == set()
