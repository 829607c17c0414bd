"""centres: English entrance and opening hours, and the day a centre closes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:00:00.000000

Existing centres get empty English texts (the citizen's pages fall back to
the Danish ones) and no closing day.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("centres") as batch:
        batch.add_column(sa.Column("entrance_en", sa.Text(), server_default="", nullable=False))
        batch.add_column(
            sa.Column("opening_hours_en", sa.String(length=200), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("closed_from", sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("centres") as batch:
        batch.drop_column("closed_from")
        batch.drop_column("opening_hours_en")
        batch.drop_column("entrance_en")
