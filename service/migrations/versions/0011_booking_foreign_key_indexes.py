"""index bookings by course and by slot

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 16:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(op.f("ix_bookings_course_id"), "bookings", ["course_id"])
    op.create_index(op.f("ix_bookings_slot_id"), "bookings", ["slot_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_bookings_slot_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_course_id"), table_name="bookings")
