"""Calls to a rule at once, each from its own thread with its own session and connection."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.core.errors import DomainError

Answer = TypeVar("Answer")


def race(engine: Engine, calls: list[Callable[[Session], Answer]]) -> list[Answer | DomainError]:
    """Run every call at once, each in a transaction of its own; return its answer or refusal.

    A call that returns is committed, one that raises a domain error rolled
    back, as the HTTP edge does. The barrier holds every thread until all are
    ready, before any of them has begun its transaction.
    """
    barrier = Barrier(len(calls))

    def run(call: Callable[[Session], Answer]) -> Answer | DomainError:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                answer = call(session)
            except DomainError as refusal:
                session.rollback()
                return refusal
            session.commit()
            return answer

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
