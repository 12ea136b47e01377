"""Custom Labels: the TrainingData/TestingData manifests a project version was created with.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cl_project_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_data", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("testing_data", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cl_project_versions", schema=None) as batch_op:
        batch_op.drop_column("testing_data")
        batch_op.drop_column("training_data")
