"""The one store of statistics: each year's published columns, written by the purge alone.

Where an answer comes from; nothing else is kept, in a table or a process:

- Each process keeps the encoded answers (JSON or CSV) that were made of
  published rows alone (``Kept``, one per app), least recently asked going
  first past 64 MiB. The key is the question (the reach, the view,
  period and months asked), the last month over and a digest of every
  centre's id, name and municipality and every municipality's name, which
  the rows and their labels are made of; the centres and municipalities
  are read on every request to make it. Invalidation: none is needed.
  A published row is never rewritten and its months never change, so
  what it answered it answers again; a row the purge writes for another
  month over or other places of the centres is asked for under another
  key (another last month over, another digest), and a renamed centre
  gives another digest. An answer with a year computed from the tallies
  is not kept. After a database is restored from a backup, restart the
  workers.

- ``stats_published`` holds, for the country and each stats key's reach,
  every view (by home municipality, by centre, by flow) and period (month,
  quarter, year) of every year, counted from January through the last month
  that was over when the daily purge wrote it (``through``), already
  suppressed, as JSON and as CSV. Only ``diskret purge`` writes it
  (``publish``), once per row: a row is never updated. The months a row
  holds are over, and a count is only ever added to the month it happens
  in, so the row stays true; each month is decided once
  (``service.stats.suppression``), so the running year's next row repeats
  every column of the one before. Invalidation: when another month is over
  the purge writes the running year's new row and deletes the one it
  replaces (``prune``); a row written for other places of the centres (a
  centre added or moved), or for a reach that no stats key has any more,
  goes the same way. A database restored from a backup restores the
  tallies and this table together.
- A question that one row answers whole (every view of the running year,
  any whole year) gets the row's bytes: the JSON with the other fields
  spliced around it, the CSV while its row labels (the centres' names) are
  those it was written with. Any other range joins the rows of its years.
- A year not published (a month just over before the purge has run, a key
  whose reach the purge has not seen, years before any data) is computed
  from the tallies for that request alone and not kept: a GET only reads.

The running year cannot be computed live within the 100 ms the figures in
docs/performance.md hold every view of it to: deciding a year's national
suppression takes seconds, restoring it from the tallies 0.4-1.9 s. So it
is published like every other year, through the last month over.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from cachetools import LRUCache
from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.orm import Session

from service.identity.actors import Actor
from service.models import StatsPublished
from service.models.base import INSERTS
from service.stats.export import to_csv, to_json

# {"counts": {metric: {row: {column: cell}}}, "waiting_days": {measure: {row: {column: ...}}}}
Part = dict[str, dict[str, dict[str, dict[str, Any]]]]

# zlib's fastest level: a national year by flow is 16 MB of JSON.
_FAST = 1
# Between the sections of a stored body: compact JSON and a hex digest hold
# no raw newline (one in a string is written as an escape).
_APART = b"\n"


# The answers a process keeps: a national view by flow of a year, the
# largest, is 16 MB of JSON.
KEPT_BYTES = 64 * 2**20


class Kept:
    """Encoded answers made of published rows alone, least recently asked going first."""

    def __init__(self, max_bytes: int = KEPT_BYTES) -> None:
        self._kept: LRUCache[Hashable, bytes] = LRUCache(maxsize=max_bytes, getsizeof=len)
        # Threads of one worker share it; cachetools' caches are not thread-safe.
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """Return the answer kept for a question, if there is one."""
        with self._lock:
            return self._kept.get(key)

    def put(self, key: Hashable, body: bytes) -> None:
        """Keep an answer; one larger than the whole bound is not kept."""
        if len(body) > self._kept.maxsize:
            return
        with self._lock:
            self._kept[key] = body

    @property
    def size(self) -> int:
        """Return the bytes of the answers kept."""
        with self._lock:
            return int(self._kept.currsize)


def reach_of(actor: Actor) -> str:
    """Return the name of an actor's reach: "<municipality>/<centre>", "/" for the country."""
    return f"{actor.municipality_code or ''}/{actor.centre_id or ''}"


def places_of(centres: Iterable[tuple[object, str, str]]) -> bytes:
    """Return the digest of where every centre is, from (id, name, municipality) rows."""
    places = sorted((str(cid), place) for cid, _, place in centres)
    return hashlib.sha256(repr(places).encode()).digest()


def bodies(
    session: Session,
    actor: Actor,
    view: str,
    period: str,
    years: Sequence[tuple[str, str]],
    *,
    places: bytes,
    csv: bool = False,
) -> dict[str, bytes]:
    """Return the stored bodies (JSON, or CSV) of these (year, through) by year."""
    table = StatsPublished
    rows = session.execute(
        select(table.year, table.csv if csv else table.body).where(
            table.reach == reach_of(actor),
            table.view == view,
            table.period == period,
            table.places == places,
            tuple_(table.year, table.through).in_(list(years)),
        )
    )
    return {row.year: row[1] for row in rows}


def names_of(
    centres: Iterable[tuple[object, str, str]], municipalities: Iterable[tuple[str, str]]
) -> bytes:
    """Return the digest of every centre (id, name, place) and municipality (code, name)."""
    named = [[str(cid), name, place] for cid, name, place in centres]
    return hashlib.sha256(orjson.dumps([named, [list(row) for row in municipalities]])).digest()


def labels_of(rows: Mapping[str, str]) -> bytes:
    """Return the digest of a report's row labels (centres' names among them), in hex."""
    return hashlib.sha256(to_json(rows)).hexdigest().encode()


def sections(body: bytes) -> tuple[memoryview, memoryview]:
    """Return the JSON of the counts and of the waiting times of a stored body, uncopied."""
    text = zlib.decompress(body)
    apart = text.index(_APART)
    whole = memoryview(text)
    return whole[:apart], whole[apart + 1 :]


def decode(body: bytes) -> Part:
    """Return the counts and waiting times of a body that ``bodies`` found."""
    counts, waiting_days = sections(body)
    return {"counts": orjson.loads(counts), "waiting_days": orjson.loads(waiting_days)}


def csv_of(body: bytes, *, labels: bytes) -> bytes | None:
    """Return the CSV of a stored CSV body, if it was written with these row labels."""
    written, _, csv = zlib.decompress(body).partition(_APART)
    return csv if written == labels else None


def published(
    session: Session, actor: Actor, *, year: str, through: str, places: bytes
) -> set[tuple[str, str]]:
    """Return the (view, period) pairs of a year published for a reach, without their bodies."""
    table = StatsPublished
    rows = session.execute(
        select(table.view, table.period).where(
            table.reach == reach_of(actor),
            table.year == year,
            table.through == through,
            table.places == places,
        )
    )
    return {(row.view, row.period) for row in rows}


def publish(
    session: Session,
    actor: Actor,
    result: Mapping[str, Any],
    *,
    year: str,
    through: str,
    places: bytes,
    now: datetime,
) -> None:
    """Store a year's whole report of a view within a reach, unless it is there: never replaced.

    The body holds the JSON of the counts and of the waiting times, with a
    newline between, and the CSV column the digest of the row labels and
    the CSV: a question that the year answers whole is then answered with
    these bytes, JSON or CSV.
    """
    body = to_json(result["counts"]) + _APART + to_json(result["waiting_days"])
    csv = labels_of(result["rows"]) + _APART + to_csv(result).encode()
    row = {
        "reach": reach_of(actor),
        "view": result["by"],
        "period": result["period"],
        "year": year,
        "through": through,
        "places": places,
        "published_at": now,
        "body": zlib.compress(body, _FAST),
        "csv": zlib.compress(csv, _FAST),
    }
    insert = INSERTS[session.get_bind().dialect.name](cast(Table, StatsPublished.__table__))
    session.execute(insert.on_conflict_do_nothing(), row)


def prune(session: Session, *, horizon: str, places: bytes, reaches: Collection[str]) -> int:
    """Delete the rows that no question asks for any more; return how many.

    A running year's row once another month is over (a newer one holds its
    columns), every row written for other places of the centres, and the
    rows of a reach that no stats key has any more.
    """
    table = StatsPublished
    running = (table.through < horizon) & ~table.through.endswith("-12")
    gone = running | (table.places != places) | table.reach.not_in(list(reaches))
    result = session.execute(delete(table).where(gone))
    return int(getattr(result, "rowcount", 0) or 0)
