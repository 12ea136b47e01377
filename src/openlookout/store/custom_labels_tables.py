"""Rekognition Custom Labels metadata tables (same ``Base`` and conventions as ``tables.py``).

Kept apart from the Lookout for Vision tables: the two APIs share storage, jobs and
hosting, but their projects, datasets and models are separate resources with
different names, ARNs and rules. Tags live in the shared ``tags`` table (by ARN).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openlookout.store.base import Base, UTCDateTime
from openlookout.store.columns import CreatedAt, InferenceUnits, ManifestLine, StatusMessage, UpdatedAt


class CLProject(CreatedAt, Base):
    __tablename__ = "cl_projects"
    __table_args__ = (UniqueConstraint("region", "name"),)

    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), index=True)
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    feature: Mapped[str] = mapped_column(String(32))  # CUSTOM_LABELS (CONTENT_MODERATION refused)
    status: Mapped[str] = mapped_column(String(16))  # CREATING | CREATED | DELETING

    datasets: Mapped[list[CLDataset]] = relationship(back_populates="project")


class CLDataset(StatusMessage, CreatedAt, UpdatedAt, Base):
    __tablename__ = "cl_datasets"
    __table_args__ = (UniqueConstraint("project_id", "dataset_type"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("cl_projects.id", ondelete="CASCADE"), index=True)
    dataset_type: Mapped[str] = mapped_column(String(8))  # "TRAIN" | "TEST"
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    status: Mapped[str] = mapped_column(String(32))
    status_message_code: Mapped[str] = mapped_column(String(16))  # SUCCESS | SERVICE_ERROR | CLIENT_ERROR

    project: Mapped[CLProject] = relationship(back_populates="datasets")


class CLDatasetEntry(ManifestLine, CreatedAt, Base):
    """One JSON line of a dataset, stored with its non-terminal ``errors`` arrays."""

    __tablename__ = "cl_dataset_entries"
    __table_args__ = (UniqueConstraint("dataset_id", "source_ref"),)

    dataset_id: Mapped[int] = mapped_column(ForeignKey("cl_datasets.id", ondelete="CASCADE"), index=True)
    # False when the line has a line-level error (it counts toward the 20 % invalid-line rule).
    valid: Mapped[bool] = mapped_column(Boolean)
    labeled: Mapped[bool] = mapped_column(Boolean)
    has_errors: Mapped[bool] = mapped_column(Boolean)


class CLEntryLabel(Base):
    """A usable label of an entry, so label filters and ListDatasetLabels are plain SQL."""

    __tablename__ = "cl_entry_labels"
    __table_args__ = (UniqueConstraint("entry_id", "label"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("cl_dataset_entries.id", ondelete="CASCADE"), index=True)
    # Denormalised so a dataset's labels are counted without a join.
    dataset_id: Mapped[int] = mapped_column(ForeignKey("cl_datasets.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(255))
    box_count: Mapped[int] = mapped_column(Integer, default=0)


class CLProjectPolicy(CreatedAt, UpdatedAt, Base):
    __tablename__ = "cl_project_policies"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("cl_projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    revision_id: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)


class CLProjectVersion(StatusMessage, CreatedAt, UpdatedAt, InferenceUnits, Base):
    """A Custom Labels model version."""

    __tablename__ = "cl_project_versions"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("cl_projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    output_bucket: Mapped[str] = mapped_column(String(255))
    output_prefix: Mapped[str] = mapped_column(String(1024), default="")
    kms_key_id: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    source_version_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    training_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    f1_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Revision 0004: where the trained model lives in the internal bucket, and the JSON object
    # of DescribeProjectVersions members that training fills in (data results, summaries).
    artifact_prefix: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    results: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Revision 0005: the legacy CreateProjectVersion inputs, as JSON ({"Assets": [...]} and
    # {"Assets": [...]} or {"AutoCreate": true}); null when the version trains from datasets.
    training_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    testing_data: Mapped[str | None] = mapped_column(Text, nullable=True)
