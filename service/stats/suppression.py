"""Complementary cell suppression with a proof for every hidden cell (SPEC P6).

Every published number is a sum of leaves: counts per home municipality,
centre and month. A number of 1 to 4 is hidden as "<5" (primary); other
numbers are hidden as "x" (complementary) where that keeps the small ones
from being worked out. A hidden cell is safe when the table has a second
solution that agrees with every published number, keeps every hidden one
within what its mark says ("<5": 1 to 4, "x": 1 or more) and differs in that
cell. For each hidden cell the engine finds such a second solution, a small
perturbation of the leaves called a certificate, and hides whatever the
perturbation touches: the proof and the pattern are built together.

Months are decided one after the other, with a quarter decided with its
last month and a year with December. A month once decided is never decided
again, and its data no longer change, so every later computation repeats the
earlier decisions exactly: a pattern that changed with new data would let two
publications, set side by side, give away what each hides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

ANY = "*"
THRESHOLD = 5
PRIMARY = "<5"
COMPLEMENTARY = "x"

Leaf = tuple[str, str, str]
"""(home municipality code, centre id, month "YYYY-MM"), counted."""

Node = tuple[str, str, str]
"""(home code or ANY, centre id or "@" + its municipality code or ANY, column).

Columns are a month "YYYY-MM", a quarter "YYYY-Qn" or a year "YYYY".
"""

Steps = tuple[tuple[Leaf, int], ...]


def months_between(first: str, last: str) -> list[str]:
    """Return every "YYYY-MM" from first to last inclusive."""
    year, month = (int(part) for part in first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def years_between(first: str, last: str) -> list[str]:
    """Return every "YYYY" from the year of first to the year of last inclusive."""
    return [f"{year:04d}" for year in range(int(first[:4]), int(last[:4]) + 1)]


def quarter_of(month: str) -> str:
    """Return the quarter column of a month: "2026-05" -> "2026-Q2"."""
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"


def columns_of(month: str) -> tuple[str, str, str]:
    """Return the month, quarter and year columns a month is counted in."""
    return month, quarter_of(month), month[:4]


def last_month_of(column: str) -> str:
    """Return the month in which a column's data are complete."""
    if "-Q" in column:
        return f"{column[:4]}-{int(column[-1]) * 3:02d}"
    if len(column) == 4:
        return f"{column}-12"
    return column


@dataclass
class _Certificate:
    steps: Steps
    support: dict[Node, int]
    sign: int


@dataclass
class Pattern:
    """Which cells of a year are hidden and how, and the values of all of them."""

    values: Mapping[Node, int]
    hidden: frozenset[Node]
    widened: frozenset[Node] = field(default_factory=frozenset)
    unproven: frozenset[Node] = field(default_factory=frozenset)

    def show(self, node: Node) -> int | str:
        """Return a cell as published: its count, "<5" or "x"."""
        value = self.values.get(node, 0)
        if node not in self.hidden:
            return value
        return PRIMARY if value < THRESHOLD and node not in self.widened else COMPLEMENTARY


class _Year:
    """The leaves of one calendar year and the cells built from them."""

    def __init__(self, leaves: Mapping[Leaf, int], located: Mapping[str, str]) -> None:
        self.leaves = {leaf: count for leaf, count in sorted(leaves.items()) if count > 0}
        self.located = located
        # The hot loop of a report: each leaf's five cells of its month, then
        # each month's cells added into their quarter and year, which is
        # fewer additions than every leaf's fifteen cells (the cells of a
        # month already gather many leaves).
        monthly: dict[Node, int] = defaultdict(int)
        for (home, centre, month), count in self.leaves.items():
            for who in _parts(home, centre, "@" + located[centre]):
                monthly[(*who, month)] += count
        self.values: dict[Node, int] = defaultdict(int, monthly)
        values = self.values
        periods = {month: columns_of(month)[1:] for *_, month in self.leaves}
        for (home, centre, month), count in monthly.items():
            quarter, year = periods[month]
            values[(home, centre, quarter)] += count
            values[(home, centre, year)] += count

    @cached_property
    def members(self) -> dict[Node, list[Leaf]]:
        """Return the leaves counted in each cell (deciding needs them; restoring does not)."""
        return self._index[0]

    @cached_property
    def by_stage(self) -> dict[str, set[Node]]:
        """Return the cells with data by the month in which they are decided."""
        return self._index[1]

    @cached_property
    def _index(self) -> tuple[dict[Node, list[Leaf]], dict[str, set[Node]]]:
        members: dict[Node, list[Leaf]] = defaultdict(list)
        by_stage: dict[str, set[Node]] = defaultdict(set)
        for leaf in self.leaves:
            for node in self.nodes_of(leaf):
                members[node].append(leaf)
                by_stage[last_month_of(node[2])].add(node)
        return members, by_stage

    def nodes_of(self, leaf: Leaf, stage: str = "9999-12") -> Iterator[Node]:
        """Yield every published cell a leaf is counted in, of the columns decided by ``stage``."""
        home, centre, month = leaf
        parts = _parts(home, centre, "@" + self.located[centre])
        for column in columns_of(month):
            if last_month_of(column) > stage:
                continue
            for who in parts:
                yield (*who, column)


def _parts(home: str, centre: str, place: str) -> tuple[tuple[str, str], ...]:
    """Return the (home, centre) parts of the cells a leaf of this home and centre is in."""
    return ((home, centre), (home, place), (home, ANY), (ANY, centre), (ANY, ANY))


class _Suppressor:
    """Decide one year, month by month, keeping a certificate for every hidden cell.

    What a mark tells an attacker: "<5" a count from 1 to 4, "x" a count of 1
    or more. A small cell is shown as "x" rather than "<5" (widened) where
    "<5" would pin a neighbour down.
    """

    def __init__(self, year: _Year) -> None:
        self.year = year
        self.hidden: set[Node] = set()
        self.widened: set[Node] = set()
        self.published: set[Node] = set()
        self.unproven: set[Node] = set()
        self.certificates: list[_Certificate] = []

    def run(self, stages: Iterable[str]) -> Pattern:
        for stage in stages:
            self._decide(stage)
        return Pattern(
            values={node: self.year.values[node] for node in self.hidden | self.published},
            hidden=frozenset(self.hidden),
            widened=frozenset(self.widened),
            unproven=frozenset(self.unproven),
        )

    def _decide(self, stage: str) -> None:
        new = self.year.by_stage.get(stage, set())
        self._extend(stage)
        covered = {node for cert in self.certificates for node in cert.support}
        small = {node for node in new if self.year.values[node] < THRESHOLD}
        for node in sorted((small | self.hidden) - covered, key=self._order):
            if node in covered:
                continue
            certificate = self._search(node, stage)
            if certificate is None:
                self.unproven.add(node)
                self.hidden.add(node)
                continue
            self._adopt(certificate)
            covered.update(certificate.support)
        self.published.update(new - self.hidden)

    def _order(self, node: Node) -> tuple[int, Node]:
        return self.year.values[node], node

    def _adopt(self, cert: _Certificate) -> None:
        self.certificates.append(cert)
        for node, step in cert.support.items():
            if self._fits(node, cert.sign * step) == "widen":
                self.widened.add(node)
            self.hidden.add(node)

    def _extend(self, stage: str) -> None:
        """Carry every certificate into the cells that become decidable at ``stage``."""
        certificates, self.certificates = self.certificates, []
        for cert in certificates:
            support = self._support(cert.steps, stage)
            for sign in (cert.sign, -cert.sign):
                if all(self._fits(node, sign * step) for node, step in support.items()):
                    self._adopt(_Certificate(cert.steps, support, sign))
                    break

    def _support(self, steps: Steps, stage: str) -> dict[Node, int]:
        change: dict[Node, int] = defaultdict(int)
        for leaf, step in steps:
            for node in self.year.nodes_of(leaf, stage):
                change[node] += step
        return {node: step for node, step in change.items() if step}

    def _fits(self, node: Node, step: int) -> Literal["yes", "widen", ""]:
        """Tell whether a hidden cell moved by ``step`` still fits its mark, or would if widened."""
        value = self.year.values[node] + step
        if node in self.published or value < 1:
            return ""
        if value < THRESHOLD or self.year.values[node] >= THRESHOLD or node in self.widened:
            return "yes"
        return "" if node in self.hidden else "widen"

    def _search(self, target: Node, stage: str) -> _Certificate | None:
        """Find the cheapest certificate for a cell, with the fewest leaves first.

        A search starts from one leaf under the cell, moved up or down, and
        repairs the first cell that the move puts out of bounds by moving
        another leaf of that cell the other way, breadth first.
        """
        year = self.year
        starts = sorted(year.members[target], key=lambda leaf: (year.leaves[leaf], leaf))
        frontier: list[Steps] = [((leaf, sign),) for leaf in starts[:_STARTS] for sign in (1, -1)]
        seen: set[Steps] = set()
        for _ in range(_LEGS):
            found: list[tuple[tuple[int, int], _Certificate]] = []
            after: list[Steps] = []
            for steps in frontier:
                support = self._support(steps, stage)
                if target not in support:
                    continue
                fault = self._fault(support)
                if fault is None:
                    found.append((self._cost(support), _Certificate(steps, support, 1)))
                    continue
                node, step = fault
                for leaf in self._fixes(node)[:_BRANCH]:
                    repaired = _add(steps, leaf, step)
                    if repaired not in seen:
                        seen.add(repaired)
                        after.append(repaired)
            if found:
                return min(found, key=lambda option: option[0])[1]
            frontier = after
        return None

    def _cost(self, support: Mapping[Node, int]) -> tuple[int, int]:
        """Return what adopting a certificate costs: the counts it newly hides, and how many."""
        values = self.year.values
        fresh = [node for node in support if node not in self.hidden]
        widened = [node for node, step in support.items() if self._fits(node, step) == "widen"]
        return sum(values[node] for node in fresh) + THRESHOLD * len(widened), len(fresh)

    def _fault(self, support: Mapping[Node, int]) -> tuple[Node, int] | None:
        """Return the first cell the perturbation breaks and the step that would mend it."""
        for node in sorted(support):
            step = support[node]
            if not self._fits(node, step):
                return node, -1 if step > 0 else 1
        return None

    def _fixes(self, node: Node) -> list[Leaf]:
        """Return the leaves under a cell, those already hidden and small first."""
        year = self.year
        return sorted(
            year.members[node],
            key=lambda leaf: (leaf not in self.hidden, year.leaves[leaf], leaf),
        )


def _add(steps: Steps, leaf: Leaf, step: int) -> Steps:
    moved = dict(steps)
    moved[leaf] = moved.get(leaf, 0) + step
    return tuple(sorted((leaf, n) for leaf, n in moved.items() if n))


_STARTS = 6
_LEGS = 6
_BRANCH = 6


def suppress(
    leaves: Mapping[Leaf, int], *, located: Mapping[str, str], months: Sequence[str]
) -> Pattern:
    """Return the suppression pattern of one year's leaves, decided month by month.

    ``months`` are the months of the year that are over, in order; ``located``
    gives each centre's municipality. The pattern depends on these alone.
    """
    return _Suppressor(_Year(leaves, located)).run(months)
