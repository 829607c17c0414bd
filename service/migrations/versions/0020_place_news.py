"""a marker on a booking whose group place came from the waitlist, until the citizen is told

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 17:50:00.000000

Places granted before this revision are not announced: their citizens have
seen them on their page already or will see them as booked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ALTER TABLE: a batch copy of bookings would cascade to its attendance rows on SQLite.
    op.add_column(
        "bookings",
        sa.Column("place_news", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("bookings", "place_news")
