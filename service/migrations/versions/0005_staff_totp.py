"""staff totp

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:12:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    # Nullable columns are added in place, on SQLite too: no batch copy of
    # staff_accounts, whose drop would cascade to staff_sessions.
    op.add_column("staff_accounts", sa.Column("totp_secret", sa.LargeBinary(), nullable=True))
    op.add_column("staff_accounts", sa.Column("totp_key_version", sa.SmallInteger(), nullable=True))
    op.add_column("staff_accounts", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_recovery_codes_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_codes")),
    )
    op.create_index(
        op.f("ix_staff_recovery_codes_account_id"),
        "staff_recovery_codes",
        ["account_id"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_staff_recovery_codes_account_id"), table_name="staff_recovery_codes")
    op.drop_table("staff_recovery_codes")
    # SQLite drops a column in place since 3.35, again without copying the table.
    op.drop_column("staff_accounts", "totp_last_step")
    op.drop_column("staff_accounts", "totp_key_version")
    op.drop_column("staff_accounts", "totp_secret")
