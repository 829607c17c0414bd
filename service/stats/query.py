"""Reading a statistics query: the one check shared by the API and the staff pages.

Only months that are over are counted (SECURITY.md, "Statistics"), so every
query is read against a horizon, the last month that is over.

A query spans at most ten years, and a view by flow at most twelve columns.
By flow, a national view has a row for every pair of home municipality and
centre (about 10,000): ten years of it by month would be 160 MB of JSON, and
building it took a worker to 1.7 GiB. Twelve columns hold every view of a
year (and ten years by year) and bound the largest answer to about what the
running year's is. Statistics Denmark bounds its JSON and CSV answers too, by
cells.
"""

from __future__ import annotations

import re

from service.core.errors import InvalidInput
from service.stats.report import PERIODS, VIEWS, Query, columns_within
from service.stats.suppression import months_between

__all__ = [
    "PERIODS",
    "VIEWS",
    "FlowTooWide",
    "MalformedMonth",
    "MonthNotOver",
    "QueryRefused",
    "RangeTooLong",
    "ReversedRange",
    "UnknownPeriod",
    "UnknownView",
    "check_range",
    "read_query",
]

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
LONGEST_RANGE = 120  # months: ten years at a time keeps one report's work bounded
WIDEST_FLOW = 12  # columns of a view by flow (see the module docstring)

_MONTH = re.compile(MONTH_PATTERN)


class QueryRefused(InvalidInput):
    """A statistics query that cannot be answered; each subclass names one reason."""


class UnknownPeriod(QueryRefused):
    """The period is not a month, a quarter or a year."""

    message = "The period is month, quarter or year."


class UnknownView(QueryRefused):
    """The rows are not by home municipality, by centre or by flow."""

    message = "The view is home_municipality, centre or flow."


class MalformedMonth(QueryRefused):
    """A month is not written YYYY-MM."""

    message = "A month, YYYY-MM."


class ReversedRange(QueryRefused):
    """The first month comes after the last."""

    message = "`from` comes after `to`."


class RangeTooLong(QueryRefused):
    """More months than one report covers."""

    message = "At most ten years at a time."


class FlowTooWide(QueryRefused):
    """More columns by flow than one answer holds."""

    message = "By flow, at most 12 columns at a time: 12 months or 12 quarters."


class MonthNotOver(QueryRefused):
    """The last month asked for is not over yet."""

    message = "Only months that are over are counted."


def check_range(first: str, last: str) -> None:
    """Refuse a range whose first month comes after its last, or longer than ten years."""
    if first > last:
        raise ReversedRange(field="from")
    if len(months_between(first, last)) > LONGEST_RANGE:
        raise RangeTooLong(field="to")


def read_query(
    *,
    period: str | None,
    first: str | None,
    last: str | None,
    by: str | None,
    horizon: str,
) -> Query:
    """Return the query asked for, with the defaults filled in, or refuse it.

    Defaults (for a missing or empty value): by month and home municipality,
    from January of the horizon's year to the horizon. A view by flow holds
    at most ``WIDEST_FLOW`` columns.
    """
    period = period or "month"
    by = by or "home_municipality"
    if period not in PERIODS:
        raise UnknownPeriod(field="period")
    if by not in VIEWS:
        raise UnknownView(field="by")
    for name, month in (("from", first), ("to", last)):
        if month and not _MONTH.match(month):
            raise MalformedMonth(field=name)
    last = last or horizon
    first = first or f"{horizon[:4]}-01"
    if last > horizon:
        raise MonthNotOver(
            f"Only months that are over are counted: `to` at most {horizon}.", field="to"
        )
    check_range(first, last)
    if by == "flow" and len(columns_within(months_between(first, last), period)) > WIDEST_FLOW:
        raise FlowTooWide(field="to")
    return Query(period=period, first=first, last=last, by=by)
