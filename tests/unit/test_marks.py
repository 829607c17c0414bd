"""The database's store of suppression marks: a refused save never costs the report."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from service.models import Base
from service.stats.marks import DatabaseMarks
from service.stats.suppression import Marks

MARKS = Marks(
    hidden=frozenset({("901", "c1", "2031-01"), ("*", "c1", "2031-01")}),
    widened=frozenset({("*", "c1", "2031-01")}),
    unproven=frozenset(),
)
NOW = datetime(2031, 2, 1, tzinfo=UTC)


def test_marks_come_back_as_saved() -> None:
    """What is saved loads back the same; a second save of one fingerprint changes nothing."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        store = DatabaseMarks(session, now=NOW)
        store.save(b"f" * 32, MARKS, year="2031", final=False)
        store.save(b"f" * 32, MARKS, year="2031", final=False)  # a second saver is a no-op

        assert store.load(b"f" * 32) == MARKS
        assert store.load(b"e" * 32) is None


def test_a_refused_save_is_logged_and_the_report_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    """A database that refuses the insert gets a warning naming the error, nothing raised."""
    engine = create_engine("sqlite://")  # no tables: the insert fails
    with Session(engine) as session, caplog.at_level(logging.WARNING, "diskret.stats"):
        DatabaseMarks(session, now=NOW).save(b"f" * 32, MARKS, year="2031", final=True)

    assert [record.getMessage() for record in caplog.records] == [
        "Suppression pattern not kept: OperationalError"
    ]
