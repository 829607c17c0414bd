"""tie a stored idempotent answer to its course; the code sealed in a web session;
the reach of a stored statistics answer and whether it was asked for

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # Batch mode: SQLite adds a foreign key only by rebuilding the table.
    with op.batch_alter_table("idempotent_answers") as batch:
        batch.add_column(sa.Column("course_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_idempotent_answers_course_id_courses"),
            "courses",
            ["course_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_idempotent_answers_course_id"), ["course_id"])
    # A nullable column is added in place, on SQLite too (see 0005).
    op.add_column("web_sessions", sa.Column("sealed_code", sa.LargeBinary(), nullable=True))
    # Answers stored so far have no reach recorded: they are a cache, so they go.
    op.execute("DELETE FROM stats_answers")
    with op.batch_alter_table("stats_answers") as batch:
        batch.add_column(
            sa.Column("reach", sa.String(length=48), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("asked", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.create_index(
            op.f("ix_stats_answers_reach_computed_at"), ["reach", "computed_at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("stats_answers") as batch:
        batch.drop_index(op.f("ix_stats_answers_reach_computed_at"))
        batch.drop_column("asked")
        batch.drop_column("reach")
    op.drop_column("web_sessions", "sealed_code")
    with op.batch_alter_table("idempotent_answers") as batch:
        batch.drop_index(op.f("ix_idempotent_answers_course_id"))
        batch.drop_constraint(op.f("fk_idempotent_answers_course_id_courses"), type_="foreignkey")
        batch.drop_column("course_id")
