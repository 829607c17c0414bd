"""Statistics as CSV, for spreadsheets: one line per metric and row, one column per period."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

# A cell that starts like a formula is run by spreadsheets (CSV injection);
# such text gets a leading apostrophe, as OWASP advises.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(result: Mapping[str, Any]) -> str:
    """Return the counts of a report as CSV, with the suppression marks as published."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = result["columns"]
    writer.writerow(["metric", "row", "name", *columns])
    for metric, rows in result["counts"].items():
        for key, cells in rows.items():
            name = result["rows"][key]
            writer.writerow([_text(v) for v in (metric, key, name, *(cells[c] for c in columns))])
    return out.getvalue()
