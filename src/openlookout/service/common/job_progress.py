"""Reading a job's progress (``jobs/progress.py`` writes it): for the console and the CLI.

Not part of either AWS API: DescribeModel, DescribeProjectVersions and the others return
exactly what AWS returns. These functions give the stage and percent of a job, or of the
latest job of a model, a project version, a dataset or a packaging job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.store.common_tables import Job

# Job kinds (jobs/handlers.py), by what they work on.
LOOKOUTVISION_TRAINING = ("train_model",)
LOOKOUTVISION_DATASET = ("import_dataset", "update_dataset")
LOOKOUTVISION_PACKAGING = ("package_model",)
CUSTOM_LABELS_VERSION = ("cl_train_version", "cl_copy_version")
CUSTOM_LABELS_DATASET = ("cl_import_dataset",)


@dataclass(frozen=True)
class StageRecord:
    """One stage the job's current attempt went through: its name, the percent and time it began."""

    stage: str
    percent: int
    started_at: datetime


@dataclass(frozen=True)
class JobProgress:
    job_id: int
    kind: str
    status: str  # QUEUED | RUNNING | SUCCEEDED | FAILED (jobs/base.py JobStatus)
    attempts: int
    stage: str | None  # None until the current attempt reports
    percent: int  # 0-100; 100 once the job succeeded
    updated_at: datetime | None  # when the progress was last written
    stages: tuple[StageRecord, ...]  # of the current (or last) attempt, oldest first

    @property
    def finished(self) -> bool:
        return self.status in ("SUCCEEDED", "FAILED")


def progress_of(sessions: sessionmaker[Session], job_id: int) -> JobProgress | None:
    """The progress of job ``job_id``; None when there is no such job."""
    with sessions() as session:
        job = session.get(Job, job_id)
        return None if job is None else _progress(job)


def latest_model_training(sessions: sessionmaker[Session], model_id: int) -> JobProgress | None:
    """The latest training job of the Lookout for Vision model row ``model_id``."""
    return _latest(sessions, LOOKOUTVISION_TRAINING, Job.model_id == model_id)


def latest_dataset_job(
    sessions: sessionmaker[Session], dataset_id: int, *, custom_labels: bool = False
) -> JobProgress | None:
    """The latest import or update of a dataset row (Lookout for Vision, or Custom Labels)."""
    kinds = CUSTOM_LABELS_DATASET if custom_labels else LOOKOUTVISION_DATASET
    return _latest(sessions, kinds, Job.dataset_id == dataset_id)


def latest_version_job(sessions: sessionmaker[Session], version_id: int) -> JobProgress | None:
    """The latest training or copy job of the Custom Labels project version row ``version_id``."""
    return _latest(sessions, CUSTOM_LABELS_VERSION, payload_match=_payload_id("version_id", version_id))


def latest_packaging_job(sessions: sessionmaker[Session], packaging_job_id: int) -> JobProgress | None:
    """The job that builds the Lookout for Vision model packaging job row ``packaging_job_id``."""
    match = _payload_id("packaging_job_id", packaging_job_id)
    return _latest(sessions, LOOKOUTVISION_PACKAGING, payload_match=match)


def _latest(
    sessions: sessionmaker[Session],
    kinds: Iterable[str],
    *where: ColumnElement[bool],
    payload_match: Callable[[dict[str, Any]], bool] | None = None,
) -> JobProgress | None:
    stmt = select(Job).where(Job.kind.in_(tuple(kinds)), *where).order_by(Job.id.desc())
    with sessions() as session:
        if payload_match is None:
            job = session.scalars(stmt.limit(1)).first()
            return None if job is None else _progress(job)
        # These kinds name their resource in the payload only: newest first, stop at the first match.
        for job in session.scalars(stmt.execution_options(yield_per=100)):
            if payload_match(json.loads(job.payload)):
                return _progress(job)
    return None


def _payload_id(key: str, value: int) -> Callable[[dict[str, Any]], bool]:
    def match(payload: dict[str, Any]) -> bool:
        return payload.get(key) == value

    return match


def _progress(job: Job) -> JobProgress:
    history = json.loads(job.progress_history) if job.progress_history else []
    return JobProgress(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        attempts=job.attempts,
        stage=job.progress_stage,
        percent=job.progress_percent or 0,
        updated_at=job.progress_updated_at,
        stages=tuple(
            StageRecord(entry["stage"], int(entry["percent"]), datetime.fromisoformat(entry["at"]))
            for entry in history
        ),
    )
