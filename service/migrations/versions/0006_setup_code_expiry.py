"""setup code expiry

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 10:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # Added in place, on SQLite too (see 0005): no batch copy of staff_accounts.
    op.add_column(
        "staff_accounts",
        sa.Column("setup_code_issued_at", sa.DateTime(timezone=True), nullable=True),
    )
    # A setup code handed out before this revision counts from the account's
    # creation, the only time one was issued until now.
    op.execute(
        "UPDATE staff_accounts SET setup_code_issued_at = created_at WHERE must_set_password"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("staff_accounts", "setup_code_issued_at")
