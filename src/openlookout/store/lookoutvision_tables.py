"""Lookout for Vision's tables (SQLAlchemy 2 declarative, on ``store/base.py``'s ``Base``).

Status columns hold the AWS enum strings verbatim (``TRAINING``, ``CREATE_COMPLETE``, ...).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openlookout.store.base import Base, UTCDateTime, utcnow
from openlookout.store.columns import CreatedAt, InferenceUnits, ManifestLine, StatusMessage, UpdatedAt


class Project(CreatedAt, Base):
    __tablename__ = "projects"
    # A name is unique within the region the project was created in (docs/protocol.md).
    __table_args__ = (UniqueConstraint("region", "name"),)

    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), index=True)
    arn: Mapped[str] = mapped_column(String(1011))
    # Versions are never reused, even after DeleteModel.
    next_model_version: Mapped[int] = mapped_column(Integer, default=1)

    datasets: Mapped[list[Dataset]] = relationship(back_populates="project")
    models: Mapped[list[Model]] = relationship(back_populates="project")


class Dataset(StatusMessage, CreatedAt, UpdatedAt, Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "dataset_type"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    dataset_type: Mapped[str] = mapped_column(String(8))  # "train" | "test"
    status: Mapped[str] = mapped_column(String(48))

    project: Mapped[Project] = relationship(back_populates="datasets")


class DatasetEntry(ManifestLine, CreatedAt, Base):
    """One manifest line of a dataset, as stored after import/update."""

    __tablename__ = "dataset_entries"
    __table_args__ = (UniqueConstraint("dataset_id", "source_ref"),)

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "normal" | "anomaly" | None
    mask_ref: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # JSON list of anomaly class names actually painted in the mask ([] for no mask).
    anomaly_classes: Mapped[str] = mapped_column(Text, default="[]")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)


class Model(StatusMessage, CreatedAt, UpdatedAt, InferenceUnits, Base):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    arn: Mapped[str] = mapped_column(String(1011))
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    output_bucket: Mapped[str] = mapped_column(String(63))
    output_prefix: Mapped[str] = mapped_column(String(1024), default="")
    kms_key_id: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # "classification" | "segmentation"; set when training starts.
    model_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    f1_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    precision: Mapped[float | None] = mapped_column(Float, nullable=True)
    recall: Mapped[float | None] = mapped_column(Float, nullable=True)
    evaluation_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    evaluation_result_key: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    evaluation_manifest_key: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # Blob-store key prefix (internal bucket) of the trained artefact folder.
    artifact_prefix: Mapped[str | None] = mapped_column(String(2048), nullable=True)

    project: Mapped[Project] = relationship(back_populates="models")


class ClientToken(Base):
    """Idempotency record: (operation, token) → parameters hash and first response."""

    __tablename__ = "client_tokens"
    __table_args__ = (UniqueConstraint("operation", "token"),)

    operation: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(64))
    params_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)  # JSON of the first response
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ModelPackagingJob(StatusMessage, CreatedAt, UpdatedAt, Base):
    """A model packaging job (spec A.9): builds a self-contained edge package in S3."""

    __tablename__ = "model_packaging_jobs"
    __table_args__ = (
        UniqueConstraint("project_id", "job_name"),
        # Greengrass component versions are immutable, so a (name, version) pair is used once.
        UniqueConstraint("component_name", "component_version"),
    )

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    job_name: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # CREATED | RUNNING | SUCCEEDED | FAILED
    description: Mapped[str | None] = mapped_column(String(256), nullable=True)
    packaging_method: Mapped[str] = mapped_column(String(32))
    # The request's Configuration as JSON, echoed back by DescribeModelPackagingJob.
    configuration: Mapped[str] = mapped_column(Text)
    component_name: Mapped[str] = mapped_column(String(128))
    component_version: Mapped[str] = mapped_column(String(64))
    output_bucket: Mapped[str] = mapped_column(String(63))
    output_prefix: Mapped[str] = mapped_column(String(1024), default="")
