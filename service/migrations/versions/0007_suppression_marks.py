"""suppression marks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 01:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "suppression_marks",
        sa.Column("fingerprint", sa.LargeBinary(length=32), nullable=False),
        sa.Column("year", sa.String(length=4), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_suppression_marks")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("suppression_marks")
