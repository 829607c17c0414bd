"""group session start index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 02:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_group_sessions_starts_at", "group_sessions", ["starts_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_group_sessions_starts_at", table_name="group_sessions")
