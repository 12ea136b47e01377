"""service/common/job_progress: which job each read finds, and what it returns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openlookout.config import Settings
from openlookout.jobs.progress import ProgressReporter
from openlookout.jobs.runner import queue_job
from openlookout.service.common.job_progress import (
    latest_dataset_job,
    latest_model_training,
    latest_packaging_job,
    latest_version_job,
    progress_of,
)
from openlookout.store.db import open_database, write_session


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    return open_database(Settings(data_dir=tmp_path / "data"))


def add(sessions: sessionmaker[Session], kind: str, payload: dict, **ids: int) -> int:
    with write_session(sessions) as session:
        return queue_job(session, kind, payload, **ids).id


def test_a_queued_job_has_no_stage_yet(sessions) -> None:
    job_id = add(sessions, "train_model", {"model_id": 1}, model_id=1)
    progress = progress_of(sessions, job_id)
    assert progress is not None
    assert (progress.status, progress.stage, progress.percent, progress.stages) == ("QUEUED", None, 0, ())
    assert not progress.finished and progress.updated_at is None
    assert progress_of(sessions, job_id + 1) is None


def test_reads_return_the_stages_of_the_latest_job(sessions) -> None:
    add(sessions, "train_model", {"model_id": 7}, model_id=7)
    latest = add(sessions, "train_model", {"model_id": 7}, model_id=7)
    add(sessions, "train_model", {"model_id": 8}, model_id=8)
    reporter = ProgressReporter(sessions, latest, min_interval=0)
    reporter.report("features", 20)
    reporter.report("memory bank", 60)
    progress = latest_model_training(sessions, 7)
    assert progress is not None and progress.job_id == latest
    assert (progress.kind, progress.stage, progress.percent) == ("train_model", "memory bank", 60)
    assert [(s.stage, s.percent) for s in progress.stages] == [("features", 20), ("memory bank", 60)]
    assert latest_model_training(sessions, 9) is None


def test_each_api_finds_its_own_kinds(sessions) -> None:
    lookout = add(sessions, "import_dataset", {"dataset_id": 3}, dataset_id=3)
    custom = add(sessions, "cl_import_dataset", {"dataset_id": 3}, dataset_id=3)
    assert latest_dataset_job(sessions, 3).job_id == lookout  # type: ignore[union-attr]
    assert latest_dataset_job(sessions, 3, custom_labels=True).job_id == custom  # type: ignore[union-attr]
    train = add(sessions, "cl_train_version", {"version_id": 5, "caller": None})
    add(sessions, "cl_train_version", {"version_id": 6, "caller": None})
    add(sessions, "train_model", {"model_id": 5}, model_id=5)
    assert latest_version_job(sessions, 5).job_id == train  # type: ignore[union-attr]
    copy = add(sessions, "cl_copy_version", {"version_id": 5})
    assert latest_version_job(sessions, 5).job_id == copy  # type: ignore[union-attr]
    assert latest_version_job(sessions, 4) is None
    package = add(sessions, "package_model", {"packaging_job_id": 2}, project_id=1)
    assert latest_packaging_job(sessions, 2).job_id == package  # type: ignore[union-attr]
    assert latest_packaging_job(sessions, 1) is None
