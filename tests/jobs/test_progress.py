"""ProgressReporter on a real SQLite database: throttling, monotonic percent, reset, failures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openlookout.config import Settings
from openlookout.jobs.progress import MAX_HISTORY, ProgressReporter, reset_progress
from openlookout.jobs.runner import queue_job
from openlookout.jobs.worker import claim
from openlookout.store.common_tables import Job
from openlookout.store.db import open_database, write_session


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    return open_database(Settings(data_dir=tmp_path / "data"))


@pytest.fixture
def job_id(sessions: sessionmaker[Session]) -> int:
    with write_session(sessions) as session:
        return queue_job(session, "test_sleep", {}).id


def row(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def stages(job: Job) -> list[str]:
    return [entry["stage"] for entry in json.loads(job.progress_history or "[]")]


def test_first_report_is_written_at_once(sessions, job_id) -> None:
    ProgressReporter(sessions, job_id, clock=FakeClock()).report("features", 12.7)
    job = row(sessions, job_id)
    assert (job.progress_stage, job.progress_percent) == ("features", 12)
    assert job.progress_updated_at is not None
    assert stages(job) == ["features"]


def test_reports_within_the_interval_are_held_back_then_written(sessions, job_id) -> None:
    clock = FakeClock()
    reporter = ProgressReporter(sessions, job_id, clock=clock)
    reporter.report("features", 1)
    for percent in range(2, 50):
        clock.now += 0.01
        reporter.report("features", percent)
    reporter.report("memory bank", 55)
    assert (row(sessions, job_id).progress_percent, row(sessions, job_id).progress_stage) == (1, "features")
    clock.now += 1.0
    reporter.report("memory bank", 56)
    job = row(sessions, job_id)
    assert (job.progress_stage, job.progress_percent) == ("memory bank", 56)
    assert stages(job) == ["features", "memory bank"]  # the stage change was kept meanwhile


def test_unchanged_whole_percent_is_not_written_again(sessions, job_id) -> None:
    clock = FakeClock()
    reporter = ProgressReporter(sessions, job_id, clock=clock)
    reporter.report("importing", 10.1)
    first = row(sessions, job_id).progress_updated_at
    clock.now += 5
    reporter.report("importing", 10.9)
    assert row(sessions, job_id).progress_updated_at == first


def test_percent_never_goes_back_within_an_attempt(sessions, job_id) -> None:
    clock = FakeClock()
    reporter = ProgressReporter(sessions, job_id, clock=clock)
    reporter.report("evaluation", 80)
    clock.now += 2
    reporter.report("calibration", 40)
    job = row(sessions, job_id)
    assert (job.progress_stage, job.progress_percent) == ("calibration", 80)
    assert reporter.percent == 80


def test_percent_is_clamped_and_long_stages_are_cut(sessions, job_id) -> None:
    reporter = ProgressReporter(sessions, job_id, clock=FakeClock())
    reporter.report("x" * 200, 250)
    job = row(sessions, job_id)
    assert job.progress_percent == 100 and job.progress_stage == "x" * 64


def test_flush_and_finish_write_what_the_throttle_held(sessions, job_id) -> None:
    reporter = ProgressReporter(sessions, job_id, clock=FakeClock())
    reporter.report("features", 5)
    reporter.report("evaluation", 90)
    reporter.flush()
    job = row(sessions, job_id)
    assert (job.progress_stage, job.progress_percent) == ("evaluation", 90)
    reporter.finish()
    job = row(sessions, job_id)
    assert (job.progress_stage, job.progress_percent) == ("done", 100)
    assert stages(job) == ["features", "evaluation", "done"]


def test_scaled_and_count_place_sub_progress_in_the_job(sessions, job_id) -> None:
    clock = FakeClock()
    reporter = ProgressReporter(sessions, job_id, clock=clock)
    reporter.scaled(10, 90)("features", 50)
    assert reporter.percent == 50
    reporter.count("importing", 3, 4, start=50, end=100)
    assert reporter.percent == 87
    reporter.count("importing", 0, 0)  # nothing to do is all done
    assert reporter.percent == 100


def test_history_is_bounded(sessions, job_id) -> None:
    clock = FakeClock()
    reporter = ProgressReporter(sessions, job_id, clock=clock)
    for epoch in range(1, 3 * MAX_HISTORY):
        reporter.report(f"epoch {epoch}", 0)
    reporter.flush()
    kept = stages(row(sessions, job_id))
    assert len(kept) == MAX_HISTORY
    assert kept[0] == "epoch 1" and kept[-1] == f"epoch {3 * MAX_HISTORY - 1}"


def test_a_retry_starts_from_zero(sessions, job_id) -> None:
    assert claim(sessions, job_id) is not None
    ProgressReporter(sessions, job_id, clock=FakeClock()).report("evaluation", 70)
    with write_session(sessions) as session:  # what the runner does when it re-queues the job
        job = session.get(Job, job_id)
        assert job is not None
        job.status = "QUEUED"
    assert row(sessions, job_id).progress_percent == 70
    assert claim(sessions, job_id) is not None
    job = row(sessions, job_id)
    assert job.attempts == 2
    assert (job.progress_stage, job.progress_percent, job.progress_history) == (None, None, None)
    reporter = ProgressReporter(sessions, job_id, clock=FakeClock())
    reporter.report("features", 3)  # lower than the last attempt's 70: a new attempt, a new start
    assert row(sessions, job_id).progress_percent == 3


def test_reset_progress_clears_every_field(sessions, job_id) -> None:
    ProgressReporter(sessions, job_id, clock=FakeClock()).report("features", 3)
    with write_session(sessions) as session:
        job = session.get(Job, job_id)
        assert job is not None
        reset_progress(job)
    job = row(sessions, job_id)
    assert (job.progress_stage, job.progress_percent, job.progress_updated_at, job.progress_history) == (
        None,
        None,
        None,
        None,
    )


def test_a_failing_database_never_fails_the_job(sessions, job_id, caplog) -> None:
    class Broken:
        def __call__(self) -> Session:
            raise RuntimeError("database is locked")

    clock = FakeClock()
    reporter = ProgressReporter(Broken(), job_id, clock=clock)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="openlookout.jobs.progress"):
        reporter.report("features", 10)
        clock.now += 2
        reporter.report("memory bank", 20)
        reporter.flush()
        reporter.finish()
    assert "progress" in caplog.text and "database is locked" in caplog.text
    assert reporter.percent == 100


def test_a_disabled_reporter_keeps_state_and_writes_nothing(sessions, job_id) -> None:
    reporter = ProgressReporter.disabled()
    reporter.report("features", 40)
    reporter.finish()
    assert (reporter.stage, reporter.percent) == ("done", 100)
    assert row(sessions, job_id).progress_stage is None
