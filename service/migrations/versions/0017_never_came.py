"""a course closed because the citizen never came to the intro talk

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 15:00:00.000000

``courses.status`` gains the value ``never_came``: the column grows to ten
characters and its CHECK lists the new value. The statistics gain the
metric ``never_came``; the published rows (``stats_published``) were
written without it, so they are deleted and the next ``diskret purge``
publishes every year again. The downgrade refuses nothing: a course that
never came is recorded as ``cancelled``, as the code before this revision
recorded it, and the published rows go again for the same reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_BEFORE = ("requested", "approved", "referred", "active", "completed", "dropped", "cancelled")
_AFTER = (*_BEFORE, "never_came")
_CHECK = "ck_courses_coursestatus"


def _statuses(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("courses") as batch:
        batch.drop_constraint(op.f(_CHECK), type_="check")
        batch.alter_column("status", existing_type=sa.String(length=9), type_=sa.String(length=10))
        batch.create_check_constraint("coursestatus", _statuses(_AFTER))
    op.execute("DELETE FROM stats_published")


def downgrade() -> None:
    """Revert this revision."""
    op.execute("UPDATE courses SET status = 'cancelled' WHERE status = 'never_came'")
    with op.batch_alter_table("courses") as batch:
        batch.drop_constraint(op.f(_CHECK), type_="check")
        batch.alter_column("status", existing_type=sa.String(length=10), type_=sa.String(length=9))
        batch.create_check_constraint("coursestatus", _statuses(_BEFORE))
    op.execute("DELETE FROM stats_published")
