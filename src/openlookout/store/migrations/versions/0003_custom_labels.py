"""Rekognition Custom Labels: projects, datasets, entries, labels, policies, versions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 06:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openlookout.store.ddl import cascade_foreign_key, create_indexes, drop_table_and_indexes

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cl_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("feature", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cl_projects")),
        sa.UniqueConstraint("arn", name=op.f("uq_cl_projects_arn")),
    )
    create_indexes("cl_projects", "name", unique=True)

    op.create_table(
        "cl_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("dataset_type", sa.String(length=8), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("status_message_code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        cascade_foreign_key("cl_datasets", "project_id", "cl_projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cl_datasets")),
        sa.UniqueConstraint("arn", name=op.f("uq_cl_datasets_arn")),
        sa.UniqueConstraint(
            "project_id", "dataset_type", name=op.f("uq_cl_datasets_project_id_dataset_type")
        ),
    )
    create_indexes("cl_datasets", "project_id")

    op.create_table(
        "cl_project_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("revision_id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        cascade_foreign_key("cl_project_policies", "project_id", "cl_projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cl_project_policies")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_cl_project_policies_project_id_name")),
    )
    create_indexes("cl_project_policies", "project_id")

    op.create_table(
        "cl_project_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("output_bucket", sa.String(length=255), nullable=False),
        sa.Column("output_prefix", sa.String(length=1024), nullable=False),
        sa.Column("kms_key_id", sa.String(length=2048), nullable=True),
        sa.Column("source_version_arn", sa.String(length=2048), nullable=True),
        sa.Column("training_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("f1_score", sa.Float(), nullable=True),
        sa.Column("min_inference_units", sa.Integer(), nullable=True),
        sa.Column("max_inference_units", sa.Integer(), nullable=True),
        cascade_foreign_key("cl_project_versions", "project_id", "cl_projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cl_project_versions")),
        sa.UniqueConstraint("arn", name=op.f("uq_cl_project_versions_arn")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_cl_project_versions_project_id_name")),
    )
    create_indexes("cl_project_versions", "project_id")

    op.create_table(
        "cl_dataset_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("source_ref", sa.String(length=2048), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("labeled", sa.Boolean(), nullable=False),
        sa.Column("has_errors", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        cascade_foreign_key("cl_dataset_entries", "dataset_id", "cl_datasets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cl_dataset_entries")),
        sa.UniqueConstraint(
            "dataset_id", "source_ref", name=op.f("uq_cl_dataset_entries_dataset_id_source_ref")
        ),
    )
    create_indexes("cl_dataset_entries", "dataset_id")

    op.create_table(
        "cl_entry_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("box_count", sa.Integer(), nullable=False),
        cascade_foreign_key("cl_entry_labels", "dataset_id", "cl_datasets"),
        cascade_foreign_key("cl_entry_labels", "entry_id", "cl_dataset_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cl_entry_labels")),
        sa.UniqueConstraint("entry_id", "label", name=op.f("uq_cl_entry_labels_entry_id_label")),
    )
    create_indexes("cl_entry_labels", "dataset_id", "entry_id")


def downgrade() -> None:
    drop_table_and_indexes("cl_entry_labels", "entry_id", "dataset_id")
    drop_table_and_indexes("cl_dataset_entries", "dataset_id")
    drop_table_and_indexes("cl_project_versions", "project_id")
    drop_table_and_indexes("cl_project_policies", "project_id")
    drop_table_and_indexes("cl_datasets", "project_id")
    drop_table_and_indexes("cl_projects", "name")
