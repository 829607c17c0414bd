"""Published statistics kept, by what they were computed from: in the process and in a table.

A report over ten years of national data takes seconds to read and shape;
the same answer, asked again, should not. An answer is kept under its
reach, its query, its horizon and the stamp of the data it was computed
from (``stamps.stamp``): new data give a new stamp (in a month long
over, once the purge has counted it again), so a kept answer is not used
for data it was not computed from, and an old one falls out of the cache.
The table (``stats_answers``) shares answers between processes; the daily
purge fills it with every view of the running year ahead of any request,
keeps each year's part of every view for the questions with a range of
their own (``service.stats.parts``), and deletes what horizons that have
passed asked for (``service.booking.retention``).
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
import zlib
from collections.abc import Hashable
from datetime import datetime
from typing import cast

from cachetools import LRUCache
from sqlalchemy import Engine, Table, delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service.core.clock import last_month_over
from service.identity.actors import Actor
from service.models import ApiKey, StatsAnswer
from service.stats.export import ENCODERS
from service.stats.kept import FAST, digest_of, insert_apart, inserts_if_absent
from service.stats.query import PERIODS, VIEWS, read_query
from service.stats.report import Query, keep_part, report
from service.stats.stamps import first_month, stamp
from service.stats.suppression import years_between

log = logging.getLogger("diskret.stats")

# Answers that requests asked for, kept in the table per reach: one key
# asking ever new questions (other ranges) pushes out its own oldest, and
# the table holds at most this many per stats key's reach, besides the
# purge's prepared views.
ASKED_PER_REACH = 500

# Per process. The largest answer, national by flow over eleven months of
# ten years' data (bench/growth.py), is 16 MB of JSON.
DEFAULT_BYTES = 64 * 2**20


class Answers:
    """A thread-safe LRU cache of encoded answers, bounded by their size in bytes."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self._kept: LRUCache[Hashable, bytes] = LRUCache(maxsize=max_bytes, getsizeof=len)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """Return the answer kept under a key, if any."""
        with self._lock:
            return self._kept.get(key)

    def put(self, key: Hashable, body: bytes) -> None:
        """Keep an answer; one larger than the whole cache is not kept."""
        if len(body) > self._kept.maxsize:
            return
        with self._lock:
            self._kept[key] = body


_SAVE = inserts_if_absent(cast(Table, StatsAnswer.__table__))
# (mimetype, municipality, centre, query, horizon, stamp of the data)
Key = tuple[str, str | None, uuid.UUID | None, Query, str, Hashable]


def answer(
    session: Session,
    actor: Actor,
    query: Query,
    *,
    horizon: str,
    now: datetime,
    mimetype: str,
    kept: Answers | None,
) -> bytes:
    """Return a report encoded as ``mimetype``: kept in the process, else stored, else computed.

    A computed answer is stored (in a transaction of its own) and kept, under
    the actor's reach, the query, the horizon and the stamp of the data:
    asked again, it costs one short statement instead of seconds of reading
    and shaping, in this process or any other.
    """
    data = stamp(session, query.first, query.last, horizon=horizon)
    key = _key(mimetype, actor, query, horizon, data)
    body = kept.get(key) if kept is not None else None
    if body is None:
        digest = digest_of(key)
        stored = session.scalar(select(StatsAnswer.body).where(StatsAnswer.digest == digest))
        if stored is not None:
            body = zlib.decompress(stored)
        else:
            result = report(session, actor, query, horizon=horizon, now=now, data=data)
            body = ENCODERS[mimetype](result)
            _store(session, digest, body, reach=_reach(actor), asked=True, horizon=horizon, now=now)
            _trim(session, _reach(actor))
        if kept is not None:
            kept.put(key, body)
    return body


def prepare(session: Session, *, now: datetime) -> int:
    """Store every view of every year, for the country and each reach.

    Run by the daily purge once the months that are over are decided. Each
    year's part of every view and period is kept (``report.keep_part``),
    so that a question with a range of its own is built from kept parts;
    a year that is over is computed once, and read from then on. The
    running year's views, the questions asked without a range, are stored
    whole, in every encoding: their first request finds its answer ready.
    A report is computed once for all its encodings, and not at all if they
    are stored. Returns how many reaches were prepared: the country's and
    each stats key's.
    """
    horizon = last_month_over(now)
    first = first_month(session)
    keys = select(ApiKey.municipality_code, ApiKey.centre_id).where(
        ApiKey.revoked_at.is_(None), ApiKey.scopes.contains("stats:read")
    )
    reaches = {
        (None, None),
        *((row.municipality_code, row.centre_id) for row in session.execute(keys)),
    }
    actors = [
        Actor(kind="system", id=None, centre_id=centre, municipality_code=municipality)
        for municipality, centre in reaches
    ]
    asked = list(itertools.product(PERIODS, VIEWS))
    # A year at a time, for every reach, view and period: each year's
    # tallies are read once, not once a part.
    for year in years_between(first, horizon) if first is not None else []:
        for actor, (period, by) in itertools.product(actors, asked):
            keep_part(session, actor, period, by, year=year, horizon=horizon, now=now)
    for actor, (period, by) in itertools.product(actors, asked):
        query = read_query(period=period, first=None, last=None, by=by, horizon=horizon)
        _prepare_question(session, actor, query, horizon=horizon, now=now)
    return len(reaches)


def _prepare_question(
    session: Session, actor: Actor, query: Query, *, horizon: str, now: datetime
) -> None:
    data = stamp(session, query.first, query.last, horizon=horizon)
    digests = {
        digest_of(_key(mimetype, actor, query, horizon, data)): mimetype for mimetype in ENCODERS
    }
    stored = session.scalars(
        select(StatsAnswer.digest).where(StatsAnswer.digest.in_(list(digests)))
    )
    missing = digests.keys() - set(stored)
    if missing:
        result = report(session, actor, query, horizon=horizon, now=now, data=data)
        for digest in missing:
            body = ENCODERS[digests[digest]](result)
            _store(
                session, digest, body, reach=_reach(actor), asked=False, horizon=horizon, now=now
            )


def _reach(actor: Actor) -> str:
    return f"{actor.municipality_code or ''}/{actor.centre_id or ''}"


def _trim(session: Session, reach: str) -> None:
    """Delete a reach's oldest asked answers beyond ``ASKED_PER_REACH``, in a short transaction."""
    mine = (StatsAnswer.reach == reach, StatsAnswer.asked)
    newest = (
        select(StatsAnswer.digest)
        .where(*mine)
        .order_by(StatsAnswer.computed_at.desc(), StatsAnswer.digest)
        .limit(ASKED_PER_REACH)
    )
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    try:
        with bind.begin() as connection:
            connection.execute(
                delete(StatsAnswer).where(
                    *mine, StatsAnswer.digest.not_in(newest.scalar_subquery())
                )
            )
    except OperationalError as error:
        # As for the insert: a busy database keeps one answer too many until the next one.
        log.warning("Statistics answers not trimmed: %s", type(error).__name__)


def _key(mimetype: str, actor: Actor, query: Query, horizon: str, data: Hashable) -> Key:
    return (mimetype, actor.municipality_code, actor.centre_id, query, horizon, data)


def _store(
    session: Session,
    digest: bytes,
    body: bytes,
    *,
    reach: str,
    asked: bool,
    horizon: str,
    now: datetime,
) -> None:
    row = {
        "digest": digest,
        "reach": reach,
        "asked": asked,
        "horizon": horizon,
        "computed_at": now,
        "body": zlib.compress(body, FAST),
    }
    insert_apart(session, _SAVE, row, what="Statistics answer")
