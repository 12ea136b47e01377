"""The tables both APIs use: tags (keyed by any resource ARN) and the job queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openlookout.store.base import Base, UTCDateTime
from openlookout.store.columns import CreatedAt, UpdatedAt


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("resource_arn", "key"),)

    resource_arn: Mapped[str] = mapped_column(String(1011), index=True)
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(256))


class Job(CreatedAt, UpdatedAt, Base):
    """A long task (dataset import/update, training). Survives restarts; reports its progress."""

    __tablename__ = "jobs"

    kind: Mapped[str] = mapped_column(String(32))  # see jobs/handlers.py
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    status: Mapped[str] = mapped_column(String(16), default="QUEUED", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dataset_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What the running attempt last reported (jobs/progress.py); reset when the job is retried.
    progress_stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    progress_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    progress_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    progress_history: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of stages
