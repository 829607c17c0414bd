"""The floor under a booking: Flask and psycopg under gunicorn, and nothing of the service.

Served by bench/floor.py (gunicorn `floor_app:create()`). POST /api/v1/courses
answers 201 Created in one of two ways, by FLOOR_MODE:

- "constant": reads the JSON body and answers a fixed body;
- "booking": also sends the statements the service sends on PostgreSQL for a
  new course and its intro booking (bench/booking.py, PGBENCH_AS_SENT),
  through psycopg, one connection per thread, and answers 409 when a rule
  said no.

No SQLAlchemy, no rule checked in Python, no rate limit, token, schema or
request log: what is left is what any booking endpoint on this stack pays.
"""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from datetime import datetime
from typing import Any

import psycopg
from flask import Flask, request

LOCK = "SELECT starts_at FROM slots WHERE id = %(slot)s FOR UPDATE"
COURSE_AND_BOOKING = """
WITH new_course AS (
  INSERT INTO courses (id, reference, token_digest, token_key_version, centre_id,
    home_municipality, language, status, requested_at)
  SELECT %(course)s, %(reference)s, %(digest)s, 1, %(centre)s, %(home)s::varchar, 'da',
    'requested', now()
  WHERE EXISTS (SELECT FROM municipalities WHERE code = %(home)s)
    AND NOT EXISTS (SELECT FROM bookings WHERE slot_id = %(slot)s
      AND status IN ('booked', 'attended', 'no_show'))
    AND EXISTS (SELECT FROM contracts WHERE municipality_code = %(home)s
      AND centre_id = %(centre)s AND valid_from <= current_date
      AND (valid_to IS NULL OR valid_to >= current_date))
    AND EXISTS (SELECT FROM contracts WHERE municipality_code = %(home)s
      AND centre_id = %(centre)s AND valid_from <= %(day)s
      AND (valid_to IS NULL OR valid_to >= %(day)s))
  ON CONFLICT (reference) DO NOTHING
  RETURNING id
)
INSERT INTO bookings (id, course_id, kind, slot_id, status, created_at)
  SELECT %(booking)s, id, 'intro', %(slot)s, 'booked', now() FROM new_course
"""
TALLY = """
INSERT INTO tallies (month, home_municipality, centre_id, metric, count)
  VALUES (to_char(now(), 'YYYY-MM'), %(home)s, %(centre)s, 'requested', 1)
  ON CONFLICT (month, home_municipality, centre_id, metric)
  DO UPDATE SET count = tallies.count + 1
"""


def _book(connection: psycopg.Connection[Any], sent: dict[str, Any]) -> bool:
    """Book the slot as the service does on PostgreSQL; return whether it was booked."""
    values = {
        "slot": uuid.UUID(sent["intro_slot_id"]),
        "centre": uuid.UUID(sent["centre_id"]),
        "home": sent["home_municipality"],
        "course": uuid.uuid4(),
        "booking": uuid.uuid4(),
        "reference": secrets.token_hex(5)[:9],
        "digest": secrets.token_bytes(32),
    }
    with connection.transaction():
        found = connection.execute(LOCK, values).fetchone()
        if found is None:
            return False
        starts: datetime = found[0]
        values["day"] = starts.date()
        if connection.execute(COURSE_AND_BOOKING, values).rowcount != 1:
            return False
        connection.execute(TALLY, values)
    return True


def create() -> Flask:
    """Return the floor app for FLOOR_MODE against FLOOR_DATABASE_URL."""
    app = Flask(__name__)
    booking = os.environ["FLOOR_MODE"] == "booking"
    url = os.environ["FLOOR_DATABASE_URL"]
    local = threading.local()

    @app.post("/api/v1/courses")
    def courses() -> tuple[dict[str, str], int]:
        sent = request.get_json()
        if booking:
            if not hasattr(local, "connection"):
                local.connection = psycopg.connect(url, autocommit=True)
            if not _book(local.connection, sent):
                return {"code": "conflict"}, 409
        return {"status": "requested"}, 201

    return app
