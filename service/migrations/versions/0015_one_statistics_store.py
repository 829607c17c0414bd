"""one store of published statistics, written by the purge alone

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:30:00.000000

The four tables it replaces held only what could be computed again from
the tallies (answers, parts, suppression marks, month stamps), so they are
dropped with their rows; the next ``diskret purge`` fills the new one. The
downgrade creates them again empty, which the code of 0014 reads as
nothing kept yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.drop_table("stats_months")
    op.drop_index(op.f("ix_stats_parts_through"), table_name="stats_parts")
    op.drop_table("stats_parts")
    op.drop_index(op.f("ix_stats_answers_reach_computed_at"), table_name="stats_answers")
    op.drop_index(op.f("ix_stats_answers_horizon"), table_name="stats_answers")
    op.drop_table("stats_answers")
    op.drop_table("suppression_marks")
    op.create_table(
        "stats_published",
        sa.Column("reach", sa.String(length=48), nullable=False),
        sa.Column("view", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("year", sa.String(length=4), nullable=False),
        sa.Column("through", sa.String(length=7), nullable=False),
        sa.Column("places", sa.LargeBinary(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("csv", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "reach", "view", "period", "year", "through", "places", name=op.f("pk_stats_published")
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("stats_published")
    op.create_table(
        "suppression_marks",
        sa.Column("fingerprint", sa.LargeBinary(length=32), nullable=False),
        sa.Column("year", sa.String(length=4), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_suppression_marks")),
    )
    op.create_table(
        "stats_answers",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("horizon", sa.String(length=7), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("reach", sa.String(length=48), server_default="", nullable=False),
        sa.Column("asked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_stats_answers")),
    )
    op.create_index(op.f("ix_stats_answers_horizon"), "stats_answers", ["horizon"])
    op.create_index(
        op.f("ix_stats_answers_reach_computed_at"), "stats_answers", ["reach", "computed_at"]
    )
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
