"""The HTTP steps of scripts/operations-check, with the standard library only.

    operations_http.py ready URL   exits 0 once URL/readyz answers 200
    operations_http.py book URL    books an intro as a citizen would; prints the code
    operations_http.py me URL      reads the course of the code on standard input

The code goes through standard input and output only, never a command line.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

HOME = "101"


def call(url: str, *, body: dict[str, Any] | None = None, code: str | None = None) -> Any:
    """Send one request; return the decoded JSON answer, or stop with the status."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers |= {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    if code is not None:
        headers["Authorization"] = f"Bearer {code}"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (local)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (local)
            return json.load(answer)
    except urllib.error.HTTPError as error:
        error.close()
        raise SystemExit(
            f"{request.get_method()} {url.rsplit('/api/', maxsplit=1)[-1]}: {error.code}"
        ) from None


def book(base: str) -> str:
    """Book the first free intro at the first centre the home municipality contracts."""
    providers = call(f"{base}/api/v1/municipalities/{HOME}/providers")
    for centre in (provider["centre"] for provider in providers):
        slots = call(f"{base}/api/v1/centres/{centre['id']}/slots?kind=intro")
        if slots:
            made = call(
                f"{base}/api/v1/courses",
                body={
                    "home_municipality": HOME,
                    "centre_id": centre["id"],
                    "intro_slot_id": slots[0]["id"],
                    "confirm_adult": True,
                },
            )
            return str(made["token"])
    raise SystemExit("no free intro at any centre")


def main() -> None:
    """Run one step."""
    step, base = sys.argv[1], sys.argv[2].rstrip("/")
    if step == "ready":
        call(f"{base}/readyz")
    elif step == "book":
        print(book(base))
    elif step == "me":
        course = call(f"{base}/api/v1/me", code=sys.stdin.read().strip())
        if course["status"] != "requested":
            raise SystemExit(f"the course is {course['status']}, not requested")
    else:
        raise SystemExit(f"unknown step {step!r}")


if __name__ == "__main__":
    main()
