"""LocalJobRunner and the worker process: outcomes, crash recovery, orphan workers, stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.config import Settings
from openlookout.jobs.handlers import EXTRA_HANDLERS_ENV
from openlookout.jobs.runner import LocalJobRunner, is_worker_of, queue_job
from openlookout.jobs.worker import SETTINGS_ENV, settings_from_json, settings_to_json
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import open_database, write_session

from .sample_handlers import ALL

HERE = Path(__file__).parent


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # Workers are separate processes: they find the sample handlers through the environment.
    monkeypatch.setenv(EXTRA_HANDLERS_ENV, ALL)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    monkeypatch.syspath_prepend(str(HERE))
    return Settings(data_dir=tmp_path / "data", job_workers=2, max_job_attempts=2)


@pytest.fixture
def sessions(settings: Settings) -> sessionmaker[Session]:
    return open_database(settings)


@pytest.fixture
def runners(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[list[LocalJobRunner]]:
    made: list[LocalJobRunner] = []
    yield made
    for runner in made:
        runner.stop(timeout=5)


def new_runner(
    runners: list[LocalJobRunner], settings: Settings, sessions: sessionmaker[Session]
) -> LocalJobRunner:
    runner = LocalJobRunner(settings, sessions)
    runners.append(runner)
    return runner


def add_job(sessions: sessionmaker[Session], kind: str, **payload: object) -> int:
    with write_session(sessions) as session:
        return queue_job(session, kind, dict(payload)).id


def get_job(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_settings_round_trip_through_json(settings: Settings) -> None:
    settings.policy_file = Path("/etc/policy.json")
    assert settings_from_json(settings_to_json(settings)) == settings


def test_success_failure_and_bug_outcomes(settings, sessions, runners) -> None:
    ok = add_job(sessions, "test_sleep")
    refused = add_job(sessions, "test_refuse")
    bug = add_job(sessions, "test_bug")
    unknown = add_job(sessions, "no_such_kind")
    runner = new_runner(runners, settings, sessions)
    runner.start()
    assert runner.wait_idle(60)
    data = settings.data_dir
    job = get_job(sessions, ok)
    assert (job.status, job.attempts) == ("SUCCEEDED", 1) and (data / f"job-{ok}.done").exists()
    assert job.worker_pid and job.started_at and job.finished_at
    job = get_job(sessions, refused)
    assert job.status == "FAILED"
    assert (
        data / f"job-{refused}.failed"
    ).read_text() == "Images in the dataset must have the same dimensions."
    job = get_job(sessions, bug)
    message = (data / f"job-{bug}.failed").read_text()
    assert job.status == "FAILED" and "internal error" in message and "internal detail" not in message
    job = get_job(sessions, unknown)
    assert job.status == "FAILED" and "no_such_kind" in (job.error or "")


def test_submit_wakes_a_started_runner(settings, sessions, runners) -> None:
    runner = new_runner(runners, settings, sessions)
    runner.start()
    job_id = add_job(sessions, "test_sleep")
    runner.submit(job_id)
    assert runner.wait_idle(60)
    assert get_job(sessions, job_id).status == "SUCCEEDED"


def test_worker_that_dies_is_retried_then_failed(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_crash")
    runner = new_runner(runners, settings, sessions)
    runner.start()
    assert runner.wait_idle(60)
    job = get_job(sessions, job_id)
    assert (job.status, job.attempts) == ("FAILED", settings.max_job_attempts)
    runs = list(settings.data_dir.glob(f"job-{job_id}.run-*"))
    assert len(runs) == settings.max_job_attempts
    assert "stopped unexpectedly" in (settings.data_dir / f"job-{job_id}.failed").read_text()


def test_kill_9_of_a_running_worker_requeues_it(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_sleep", first_seconds=60, seconds=0)
    runner = new_runner(runners, settings, sessions)
    runner.start()
    wait_for(lambda: (settings.data_dir / f"job-{job_id}.run-1").exists())
    pid = get_job(sessions, job_id).worker_pid
    assert pid is not None and is_worker_of(pid, job_id)
    os.kill(pid, 9)
    assert runner.wait_idle(60)
    job = get_job(sessions, job_id)
    assert (job.status, job.attempts) == ("SUCCEEDED", 2)


def _leave_running(sessions: sessionmaker[Session], job_id: int, pid: int, attempts: int) -> None:
    with write_session(sessions) as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.worker_pid, job.attempts, job.started_at = "RUNNING", pid, attempts, utcnow()


def test_server_crash_with_dead_worker_requeues(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_sleep")
    _leave_running(sessions, job_id, dead_pid(), attempts=1)
    runner = new_runner(runners, settings, sessions)
    runner.start()
    assert runner.wait_idle(60)
    job = get_job(sessions, job_id)
    assert (job.status, job.attempts) == ("SUCCEEDED", 2)


def test_server_crash_after_last_attempt_fails_through_handler(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_sleep")
    _leave_running(sessions, job_id, dead_pid(), attempts=settings.max_job_attempts)
    runner = new_runner(runners, settings, sessions)
    runner.start()
    job = get_job(sessions, job_id)  # settled during start(), before any worker runs
    assert job.status == "FAILED"
    assert "server stopped" in (settings.data_dir / f"job-{job_id}.failed").read_text()
    assert not (settings.data_dir / f"job-{job_id}.done").exists()


def test_orphan_worker_of_a_killed_server_is_killed_and_job_rerun(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_sleep", first_seconds=120, seconds=0)
    env = dict(os.environ, **{SETTINGS_ENV: settings_to_json(settings)})
    # A worker whose server died: it keeps running on its own.
    orphan = subprocess.Popen([sys.executable, "-m", "openlookout.jobs.worker", str(job_id)], env=env)
    try:
        wait_for(lambda: (settings.data_dir / f"job-{job_id}.run-1").exists())
        assert get_job(sessions, job_id).worker_pid == orphan.pid
        runner = new_runner(runners, settings, sessions)
        runner.start()
        assert orphan.wait(timeout=10) == -9
        assert runner.wait_idle(60)
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait()
    job = get_job(sessions, job_id)
    assert (job.status, job.attempts) == ("SUCCEEDED", 2)


def test_stop_requeues_running_jobs_without_spending_an_attempt(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_sleep", first_seconds=120, seconds=0)
    runner = new_runner(runners, settings, sessions)
    runner.start()
    wait_for(lambda: get_job(sessions, job_id).status == "RUNNING")
    runner.stop(timeout=5)
    job = get_job(sessions, job_id)
    assert (job.status, job.attempts, job.worker_pid) == ("QUEUED", 0, None)


def test_at_most_job_workers_run_at_once(settings, sessions, runners) -> None:
    settings.job_workers = 1
    ids = [add_job(sessions, "test_sleep", first_seconds=0.5) for _ in range(3)]
    runner = new_runner(runners, settings, sessions)
    runner.start()
    peak = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sessions() as session:
            running = session.scalars(select(Job.id).where(Job.status == "RUNNING")).all()
            peak = max(peak, len(running))
            if all(session.get(Job, i).status == "SUCCEEDED" for i in ids):
                break
        time.sleep(0.05)
    assert peak == 1
    jobs = [get_job(sessions, i) for i in ids]
    assert all(j.status == "SUCCEEDED" for j in jobs)
    assert jobs[0].finished_at <= jobs[1].started_at and jobs[1].finished_at <= jobs[2].started_at


def test_a_job_run_by_a_worker_leaves_its_progress(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_progress")
    runner = new_runner(runners, settings, sessions)
    runner.start()
    assert runner.wait_idle(60)
    job = get_job(sessions, job_id)
    assert (job.status, job.progress_stage, job.progress_percent) == ("SUCCEEDED", "done", 100)
    stages = [entry["stage"] for entry in json.loads(job.progress_history or "[]")]
    assert stages == ["counting", "last part", "done"]


def test_a_retried_job_starts_its_progress_again(settings, sessions, runners) -> None:
    job_id = add_job(sessions, "test_progress", crash_first=True)
    runner = new_runner(runners, settings, sessions)
    runner.start()
    assert runner.wait_idle(60)
    job = get_job(sessions, job_id)
    assert (job.status, job.attempts, job.progress_percent) == ("SUCCEEDED", 2, 100)
    stages = [entry["stage"] for entry in json.loads(job.progress_history or "[]")]
    assert stages == ["counting", "last part", "done"]  # nothing of the attempt that died at 70 %
