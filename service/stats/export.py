"""Statistics encoded as the API sends them: JSON, and CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson

Buffer = bytes | memoryview

# A cell that starts like a formula is run by spreadsheets (CSV injection);
# such text gets a leading apostrophe, as OWASP advises.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def rows_to_csv(rows: Iterable[Sequence[object]]) -> str:
    """Return rows as CSV, each text cell that starts like a formula neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([_text(value) for value in row] for row in rows)
    return out.getvalue()


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


def to_json(result: Mapping[str, Any]) -> bytes:
    """Return a report as compact JSON in UTF-8, its keys sorted.

    orjson, not the standard library: a national answer of ten years by
    month is 2.2 MB, which ``json.dumps`` took 33 ms to write.
    """
    return orjson.dumps(result, option=orjson.OPT_SORT_KEYS)


def spliced(head: Mapping[str, Any], counts: Buffer, waiting_days: Buffer) -> bytes:
    """Return ``to_json`` of a report from its other fields and two of them as written.

    ``counts`` and ``waiting_days`` are ``to_json`` of those fields. Those of
    a national view by flow are 16 MB of JSON: copied once as bytes, they
    are never read into objects.
    """
    fields: dict[str, Buffer] = {name: to_json(value) for name, value in head.items()}
    fields |= {"counts": counts, "waiting_days": waiting_days}
    pieces: list[Buffer] = []
    for name in sorted(fields):
        pieces += [b",", orjson.dumps(name), b":", fields[name]]
    pieces[0] = b"{"
    # One copy of 16 MB, not two: the closing brace joins with the rest.
    return b"".join([*pieces, b"}"])


def _csv_bytes(result: Mapping[str, Any]) -> bytes:
    return to_csv(result).encode()


JSON = "application/json"
CSV = "text/csv"
ENCODERS: dict[str, Callable[[Mapping[str, Any]], bytes]] = {JSON: to_json, CSV: _csv_bytes}
