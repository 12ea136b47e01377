"""Model packaging jobs (spec A.9).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openlookout.store.ddl import cascade_foreign_key, create_indexes, drop_table_and_indexes

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_packaging_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=True),
        sa.Column("packaging_method", sa.String(length=32), nullable=False),
        sa.Column("configuration", sa.Text(), nullable=False),
        sa.Column("component_name", sa.String(length=128), nullable=False),
        sa.Column("component_version", sa.String(length=64), nullable=False),
        sa.Column("output_bucket", sa.String(length=63), nullable=False),
        sa.Column("output_prefix", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        cascade_foreign_key("model_packaging_jobs", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_packaging_jobs")),
        sa.UniqueConstraint(
            "component_name",
            "component_version",
            name=op.f("uq_model_packaging_jobs_component_name_component_version"),
        ),
        sa.UniqueConstraint(
            "project_id", "job_name", name=op.f("uq_model_packaging_jobs_project_id_job_name")
        ),
    )
    create_indexes("model_packaging_jobs", "project_id")


def downgrade() -> None:
    drop_table_and_indexes("model_packaging_jobs", "project_id")
