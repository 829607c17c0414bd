"""Statistics as JSON: the same text the standard library writes, in UTF-8, its keys sorted."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from service.models import Base, StatsPart, SuppressionMarks
from service.stats import parts
from service.stats.export import to_json
from service.stats.marks import DatabaseMarks
from service.stats.suppression import Marks

# Text as the statistics hold it: names with æ, ø and å, no lone surrogates
# (which are not text that UTF-8 can carry).
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=30,
)


@given(st.dictionaries(_TEXT, _VALUES, max_size=6))
def test_an_answer_is_the_standard_librarys_json_in_utf8(result: dict[str, Any]) -> None:
    """Byte for byte what ``json.dumps`` writes with sorted keys, but not escaping æ, ø, å."""
    written = to_json(result)

    assert written == json.dumps(
        result, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert json.loads(written) == result


def test_a_centres_name_is_written_as_itself() -> None:
    """A client reading UTF-8 sees "Ærø", not "\\u00c6r\\u00f8"; the keys come sorted."""
    written = to_json({"rows": {"c": "Ærø Rusmiddelcenter", "*": "I alt"}, "by": "centre"})

    assert written == '{"by":"centre","rows":{"*":"I alt","c":"Ærø Rusmiddelcenter"}}'.encode()


NOW = datetime(2031, 2, 1, tzinfo=UTC)


def _kept_in_json(
    model: type[StatsPart | SuppressionMarks], body: object, **row: object
) -> Session:
    """Return a session on a new database holding a row kept as the standard library wrote it."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = Session(engine)
    compressed = zlib.compress(json.dumps(body).encode())
    session.execute(insert(model).values(**row, computed_at=NOW, body=compressed))
    return session


def test_a_part_kept_in_the_standard_librarys_json_reads_back_the_same() -> None:
    """Parts kept before the change, escaped ASCII, still load as what was kept."""
    part = {
        "counts": {"requested": {"c": {"2031-01": "x", "2031-02": 7}}},
        "waiting_days": {},
        "name": "Ærø",
    }

    # Counted through February: not final (only a year counted through December is).
    kept_as = {"digest": b"d" * 32, "through": "2031-02", "final": False}
    with _kept_in_json(StatsPart, part, **kept_as) as session:
        kept = parts.load(session, [b"d" * 32])

        assert parts.decode(kept[b"d" * 32]) == part


def test_marks_kept_in_the_standard_librarys_json_read_back_the_same() -> None:
    """Suppression marks kept before the change load as the marks they were."""
    body = {"hidden": [["901", "c1", "2031-01"]], "widened": [], "unproven": [["*", "c1", "2031"]]}

    kept_as = {"fingerprint": b"f" * 32, "year": "2031", "final": True}
    with _kept_in_json(SuppressionMarks, body, **kept_as) as session:
        marks = DatabaseMarks(session, now=NOW).load(b"f" * 32)

        assert marks == Marks(
            hidden=frozenset({("901", "c1", "2031-01")}),
            widened=frozenset(),
            unproven=frozenset({("*", "c1", "2031")}),
        )
