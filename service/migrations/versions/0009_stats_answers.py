"""statistics answers shared by every process

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 05:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "stats_answers",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("horizon", sa.String(length=7), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_stats_answers")),
    )
    op.create_index(op.f("ix_stats_answers_horizon"), "stats_answers", ["horizon"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_stats_answers_horizon"), table_name="stats_answers")
    op.drop_table("stats_answers")
