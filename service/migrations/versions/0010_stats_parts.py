"""each year's part of a statistics view, and each still month's stamp

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "stats_parts",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("through", sa.String(length=7), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_stats_parts")),
    )
    op.create_index(op.f("ix_stats_parts_through"), "stats_parts", ["through"])
    op.create_table(
        "stats_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("tallies", sa.Integer(), nullable=False),
        sa.Column("tallies_total", sa.BigInteger(), nullable=False),
        sa.Column("waits", sa.Integer(), nullable=False),
        sa.Column("waits_total", sa.BigInteger(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_stats_months")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("stats_months")
    op.drop_index(op.f("ix_stats_parts_through"), table_name="stats_parts")
    op.drop_table("stats_parts")
