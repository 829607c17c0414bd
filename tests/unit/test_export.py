"""Statistics as JSON: the same text the standard library writes, in UTF-8, its keys sorted."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from service.stats.export import spliced, to_json

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


_CELLS = st.dictionaries(_TEXT, st.dictionaries(_TEXT, _VALUES, max_size=3), max_size=3)


@given(
    head=st.fixed_dictionaries(
        {"by": _TEXT, "columns": st.lists(_TEXT, max_size=3), "rows": st.dictionaries(_TEXT, _TEXT)}
    ),
    counts=st.dictionaries(_TEXT, _CELLS, max_size=3),
    waits=st.dictionaries(_TEXT, _CELLS, max_size=3),
)
def test_a_part_spliced_into_its_report_is_the_reports_json(
    head: dict[str, Any], counts: dict[str, Any], waits: dict[str, Any]
) -> None:
    """The bytes of two fields with the others around them: what ``to_json`` writes whole."""

    written = spliced(head, to_json(counts), to_json(waits))

    assert written == to_json({**head, "counts": counts, "waiting_days": waits})
