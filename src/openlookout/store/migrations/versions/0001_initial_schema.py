"""Initial schema, mirroring store/tables.py.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 05:32:55.879095
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openlookout.store.ddl import cascade_foreign_key, create_indexes, drop_table_and_indexes

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("params_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_tokens")),
        sa.UniqueConstraint("operation", "token", name=op.f("uq_client_tokens_operation_token")),
    )
    create_indexes("client_tokens", "created_at")

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_pid", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    create_indexes("jobs", "status")

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("arn", sa.String(length=1011), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_model_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    create_indexes("projects", "name", unique=True)

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_arn", sa.String(length=1011), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("resource_arn", "key", name=op.f("uq_tags_resource_arn_key")),
    )
    create_indexes("tags", "resource_arn")

    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("dataset_type", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=48), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_datasets_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("project_id", "dataset_type", name=op.f("uq_datasets_project_id_dataset_type")),
    )
    create_indexes("datasets", "project_id")

    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("arn", sa.String(length=1011), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("output_bucket", sa.String(length=63), nullable=False),
        sa.Column("output_prefix", sa.String(length=1024), nullable=False),
        sa.Column("kms_key_id", sa.String(length=2048), nullable=True),
        sa.Column("model_type", sa.String(length=16), nullable=True),
        sa.Column("f1_score", sa.Float(), nullable=True),
        sa.Column("precision", sa.Float(), nullable=True),
        sa.Column("recall", sa.Float(), nullable=True),
        sa.Column("evaluation_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluation_result_key", sa.String(length=2048), nullable=True),
        sa.Column("evaluation_manifest_key", sa.String(length=2048), nullable=True),
        sa.Column("artifact_prefix", sa.String(length=2048), nullable=True),
        sa.Column("min_inference_units", sa.Integer(), nullable=True),
        sa.Column("max_inference_units", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_models_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_models_project_id_version")),
    )
    create_indexes("models", "project_id")

    op.create_table(
        "dataset_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("source_ref", sa.String(length=2048), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=8), nullable=True),
        sa.Column("mask_ref", sa.String(length=2048), nullable=True),
        sa.Column("anomaly_classes", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        cascade_foreign_key("dataset_entries", "dataset_id", "datasets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_entries")),
        sa.UniqueConstraint(
            "dataset_id", "source_ref", name=op.f("uq_dataset_entries_dataset_id_source_ref")
        ),
    )
    create_indexes("dataset_entries", "dataset_id")


def downgrade() -> None:
    drop_table_and_indexes("dataset_entries", "dataset_id")
    drop_table_and_indexes("models", "project_id")
    drop_table_and_indexes("datasets", "project_id")
    drop_table_and_indexes("tags", "resource_arn")
    drop_table_and_indexes("projects", "name")
    drop_table_and_indexes("jobs", "status")
    drop_table_and_indexes("client_tokens", "created_at")
