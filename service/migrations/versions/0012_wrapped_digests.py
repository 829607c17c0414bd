"""wrapped token and API key digests: the inner key version

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # A wrapped digest is 48 bytes: bytea and SQLite's BLOB hold any length,
    # so only the new columns need DDL (no table copy on SQLite).
    op.add_column("courses", sa.Column("token_inner_version", sa.SmallInteger(), nullable=True))
    op.add_column("api_keys", sa.Column("inner_version", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch copy
    # of courses would cascade to its bookings on SQLite.
    op.drop_column("api_keys", "inner_version")
    op.drop_column("courses", "token_inner_version")
