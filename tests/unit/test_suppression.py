"""Suppression: an attacker with an integer program recovers no hidden cell from what is published.

The attacker knows every published count, that "<5" is 1 to 4 and "x" is 1
or more, that counts are whole and not negative, and how every cell sums its
leaves. For each hidden cell it asks a MILP solver for the least and the
greatest value that fits all of that; the cell is safe only if they differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from itertools import product

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from service.stats.suppression import (
    ANY,
    COMPLEMENTARY,
    PRIMARY,
    Leaf,
    Node,
    Pattern,
    columns_of,
    last_month_of,
    suppress,
)

HOMES = ("901", "902", "903")
LOCATED = {"c1": "901", "c2": "901", "c3": "902"}
YEAR = "2031"
MONTHS = [f"{YEAR}-{month:02d}" for month in range(1, 13)]


def _cells_of(leaf: Leaf, horizon: str) -> set[Node]:
    home, centre, month = leaf
    place = "@" + LOCATED[centre]
    return {
        (*who, column)
        for column in columns_of(month)
        if last_month_of(column) <= horizon
        for who in ((home, centre), (home, place), (home, ANY), (ANY, centre), (ANY, ANY))
    }


def _recoverable(pattern: Pattern, horizon: str) -> list[tuple[Node, float]]:
    """Return the hidden cells whose value the attacker can pin down, with that value."""
    universe = [
        (home, centre, month)
        for home, centre, month in product(HOMES, LOCATED, MONTHS)
        if month <= horizon
    ]
    cells: dict[Node, list[int]] = {}
    for index, leaf in enumerate(universe):
        for cell in _cells_of(leaf, horizon):
            cells.setdefault(cell, []).append(index)
    rows, low, high = [], [], []
    for cell, members in cells.items():
        row = np.zeros(len(universe))
        row[members] = 1
        shown = pattern.show(cell)
        bounds = {PRIMARY: (1, 4), COMPLEMENTARY: (1, np.inf)}.get(str(shown), (shown, shown))
        rows.append(row)
        low.append(bounds[0])
        high.append(bounds[1])
    known = LinearConstraint(np.array(rows), low, high)
    whole = np.ones(len(universe))
    found = []
    for cell in sorted(pattern.hidden):
        target = np.zeros(len(universe))
        target[cells[cell]] = 1
        ends = [
            milp(sign * target, constraints=known, integrality=whole, bounds=Bounds(0, np.inf))
            for sign in (1, -1)
        ]
        assert all(end.success for end in ends), cell
        least, greatest = ends[0].fun, -ends[1].fun
        if greatest - least < 0.5:
            found.append((cell, least))
    return found


counts = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 30))
tables = st.dictionaries(
    st.tuples(st.sampled_from(HOMES), st.sampled_from(sorted(LOCATED)), st.sampled_from(MONTHS)),
    counts,
    max_size=40,
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(leaves=tables, horizon=st.sampled_from(MONTHS))
def test_no_hidden_cell_can_be_worked_out(leaves: dict[Leaf, int], horizon: str) -> None:
    """Across months, quarters, homes, centres, places and totals, every hidden cell stays open."""
    leaves = {leaf: count for leaf, count in leaves.items() if leaf[2] <= horizon}
    months = [month for month in MONTHS if month <= horizon]

    pattern = suppress(leaves, located=LOCATED, months=months)

    assert not pattern.unproven
    assert _recoverable(pattern, horizon) == []
    for cell, value in pattern.values.items():
        if 0 < value < 5:
            assert pattern.show(cell) in (PRIMARY, COMPLEMENTARY), cell


@settings(max_examples=100, deadline=None)
@given(leaves=tables)
def test_every_cell_holds_the_sum_of_its_leaves(leaves: dict[Leaf, int]) -> None:
    """Month, quarter and year, home, centre, place and totals: each cell adds up its leaves."""
    expected: dict[Node, int] = defaultdict(int)
    for leaf, count in leaves.items():
        for cell in _cells_of(leaf, MONTHS[-1]):
            expected[cell] += count

    pattern = suppress(leaves, located=LOCATED, months=MONTHS)

    assert {cell: value for cell, value in pattern.values.items() if value} == {
        cell: value for cell, value in expected.items() if value
    }


@settings(max_examples=60, deadline=None)
@given(leaves=tables)
def test_later_months_never_change_what_earlier_months_showed(leaves: dict[Leaf, int]) -> None:
    """Each month's publication is repeated exactly by every later one."""
    earlier = suppress(
        {leaf: n for leaf, n in leaves.items() if leaf[2] <= MONTHS[2]},
        located=LOCATED,
        months=MONTHS[:3],
    )
    later = suppress(leaves, located=LOCATED, months=MONTHS[:6])

    for cell in earlier.values:
        assert earlier.show(cell) == later.show(cell), cell


def _single_small_cell() -> Mapping[Leaf, int]:
    return {
        ("901", "c1", f"{YEAR}-01"): 3,
        ("901", "c1", f"{YEAR}-02"): 9,
        ("902", "c1", f"{YEAR}-01"): 8,
        ("902", "c1", f"{YEAR}-02"): 7,
        ("902", "c3", f"{YEAR}-01"): 20,
    }


def test_a_single_small_cell_gets_complements_in_its_row_and_column() -> None:
    """Three requests from 901 in January show as "<5", and totals around them as "x"."""
    pattern = suppress(_single_small_cell(), located=LOCATED, months=MONTHS[:3])

    assert pattern.show(("901", "c1", f"{YEAR}-01")) == PRIMARY
    assert pattern.show(("901", ANY, f"{YEAR}-01")) == PRIMARY
    assert pattern.show(("902", "c3", f"{YEAR}-01")) == 20
    assert len(pattern.hidden) >= 4
    assert _recoverable(pattern, MONTHS[2]) == []


def test_a_table_without_small_cells_is_published_whole() -> None:
    """Nothing below five, nothing hidden."""
    leaves = {("901", "c1", f"{YEAR}-01"): 6, ("902", "c3", f"{YEAR}-01"): 11}

    pattern = suppress(leaves, located=LOCATED, months=MONTHS[:1])

    assert pattern.hidden == frozenset()
    assert pattern.show((ANY, ANY, f"{YEAR}-01")) == 17


@pytest.mark.parametrize("horizon", [MONTHS[0], MONTHS[2]])
def test_the_same_data_give_the_same_pattern(horizon: str) -> None:
    """The pattern depends on the data alone, never on the order they arrive in."""
    leaves = dict(_single_small_cell())
    reversed_order = dict(reversed(list(leaves.items())))
    months = [month for month in MONTHS if month <= horizon]

    first = suppress(leaves, located=LOCATED, months=months)
    second = suppress(reversed_order, located=LOCATED, months=months)

    assert first.hidden == second.hidden
