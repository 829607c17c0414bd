"""calendar sequences on bookings and group sessions, and private calendar feeds

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:20:00.000000

Existing bookings and sessions start at sequence 0, the value every
calendar event had before (none carried a SEQUENCE).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ALTER TABLE (SQLite 3.35 and later for DROP COLUMN): a batch copy
    # of either table would cascade to its attendance rows on SQLite.
    for table in ("bookings", "group_sessions"):
        op.add_column(
            table, sa.Column("sequence", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("secret_digest", sa.LargeBinary(length=48), nullable=False),
        sa.Column("key_version", sa.SmallInteger(), nullable=False),
        sa.Column("inner_version", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_calendar_feeds_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("course_id", name=op.f("uq_calendar_feeds_course_id")),
        sa.UniqueConstraint("secret_digest", name=op.f("uq_calendar_feeds_secret_digest")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("calendar_feeds")
    for table in ("group_sessions", "bookings"):
        op.drop_column(table, "sequence")
