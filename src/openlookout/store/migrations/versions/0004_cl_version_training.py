"""Custom Labels training: model artefact location and training results of project versions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cl_project_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("artifact_prefix", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("results", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cl_project_versions", schema=None) as batch_op:
        batch_op.drop_column("results")
        batch_op.drop_column("artifact_prefix")
