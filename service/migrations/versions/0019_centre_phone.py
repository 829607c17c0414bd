"""centres: the centre's own phone number, for the citizen's help box

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:00:00.000000

Existing centres get no number (the help box then shows the national lines
only) until an administrator enters one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ALTER TABLE (SQLite 3.35 and later for DROP COLUMN), as in 0018:
    # a batch copy of the table is not needed to add one column.
    op.add_column(
        "centres", sa.Column("phone", sa.String(length=20), server_default="", nullable=False)
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("centres", "phone")
