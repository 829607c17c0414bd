"""keep the times of what citizens did to the minute

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The columns typed MinuteDateTime in service/models: rows written before
# this revision still carry seconds and microseconds.
COLUMNS = {
    "courses": ("requested_at", "intro_at", "decided_at", "started_at", "ended_at"),
    "bookings": ("created_at", "placed_at", "cancelled_at"),
    "attendance": ("recorded_at",),
    "web_sessions": ("created_at",),
    "idempotent_answers": ("created_at",),
}


def upgrade() -> None:
    """Cut the seconds and fractions off every kept time of a citizen's action."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, columns in COLUMNS.items():
        for column in columns:
            if postgresql:
                truncated = f"date_trunc('minute', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
            else:
                # SQLAlchemy keeps SQLite times as "YYYY-MM-DD HH:MM:SS.ffffff";
                # the backslash keeps ":00" from being read as a bound parameter.
                truncated = f"substr({column}, 1, 16) || '\\:00.000000'"
            op.execute(f"UPDATE {table} SET {column} = {truncated} WHERE {column} IS NOT NULL")  # noqa: S608 - names from the list above


def downgrade() -> None:
    """Leave the times as they are: the cut-off seconds are gone for good."""
