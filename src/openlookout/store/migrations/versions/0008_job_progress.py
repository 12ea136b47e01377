"""Job progress (docs/training.md, "Progress"): stage, percent, update time and stage history.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 03:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_stage", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("progress_percent", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("progress_history", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        for column in ("progress_history", "progress_updated_at", "progress_percent", "progress_stage"):
            batch_op.drop_column(column)
