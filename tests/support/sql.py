"""What the app sends to its database, for tests that hold what a request costs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

Sent = tuple[str, Any]


@contextmanager
def sent_to(engine: Engine) -> Iterator[list[Sent]]:
    """Yield the statements the engine sends from now on, each with its parameters."""
    sent: list[Sent] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
