"""One job, one process: ``python -m openlookout.jobs.worker <job-id>``.

Started by ``LocalJobRunner``. The settings come from the environment variable
``OPENLOOKOUT_JOB_SETTINGS`` (JSON), so the worker sees exactly the server's
configuration. A worker claims its job (QUEUED → RUNNING with its pid, one more
attempt), runs the handler, and records the outcome. If it dies without
recording one, the runner notices and re-queues or fails the job. Each attempt
starts with a cleared progress record and reports through its own
``ProgressReporter`` (``jobs/progress.py``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from openlookout.config import Settings
from openlookout.jobs.base import JobContext, JobFailed, JobHandler, JobStatus
from openlookout.jobs.handlers import UnknownJobKind, get_handler
from openlookout.jobs.progress import ProgressReporter, reset_progress
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import write_session

SETTINGS_ENV = "OPENLOOKOUT_JOB_SETTINGS"
log = logging.getLogger("openlookout.jobs.worker")


def settings_to_json(settings: Settings) -> str:
    fields = {
        f.name: str(v) if isinstance(v := getattr(settings, f.name), Path) else v
        for f in dataclasses.fields(settings)
    }
    return json.dumps(fields)


def settings_from_json(text: str) -> Settings:
    values = json.loads(text)
    path_fields = {f.name for f in dataclasses.fields(Settings) if "Path" in str(f.type)}
    for name in path_fields:
        if values.get(name) is not None:
            values[name] = Path(values[name])
    return Settings(**values)


def generic_failure_message(job_id: int) -> str:
    return f"An internal error stopped the job (job {job_id}); the server log has the details."


def build_context(settings: Settings, sessions: sessionmaker[Session]) -> JobContext:
    # Imported here: the composition root imports the runner, which imports this module, and
    # the blob and key backends are only needed once a job really runs.
    from openlookout.composition import build_job_context

    return build_job_context(settings, sessions)


def claim(sessions: sessionmaker[Session], job_id: int) -> Job | None:
    """QUEUED → RUNNING for this process; None when the job is not (or no longer) queued."""
    with write_session(sessions) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.QUEUED:
            return None
        now = utcnow()
        job.status, job.worker_pid, job.attempts = JobStatus.RUNNING, os.getpid(), job.attempts + 1
        job.started_at = job.updated_at = now
        reset_progress(job)  # a retry starts from 0 %
        return job


def finish(sessions: sessionmaker[Session], job_id: int, status: JobStatus, error: str | None = None) -> None:
    with write_session(sessions) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        now = utcnow()
        job.status, job.error, job.finished_at, job.updated_at = status, error, now, now


def fail_through_handler(ctx: JobContext, handler: JobHandler, job: Job, message: str) -> None:
    """Let the handler move its resource to the failed state, then mark the job FAILED."""
    try:
        handler.fail(ctx, job, message)
    except Exception:
        log.exception("job %s: handler.fail raised; the job is marked FAILED anyway", job.id)
    finish(ctx.sessions, job.id, JobStatus.FAILED, message)


def run_job(settings: Settings, job_id: int) -> int:
    from openlookout.composition import open_job_sessions

    sessions = open_job_sessions(settings)
    job = claim(sessions, job_id)
    if job is None:
        log.info("job %s is not queued; nothing to do", job_id)
        return 0
    try:
        handler = get_handler(job.kind)
    except UnknownJobKind as exc:
        log.error("job %s: %s", job_id, exc)
        finish(sessions, job_id, JobStatus.FAILED, str(exc))
        return 1
    progress = ProgressReporter(sessions, job_id)
    ctx = dataclasses.replace(build_context(settings, sessions), progress=progress)
    try:
        handler.run(ctx, job)
    except JobFailed as exc:
        log.info("job %s (%s) failed: %s", job_id, job.kind, exc.message)
        progress.flush()  # keep where it stopped
        fail_through_handler(ctx, handler, job, exc.message)
        return 0
    except Exception:
        log.exception("job %s (%s) crashed", job_id, job.kind)
        progress.flush()
        fail_through_handler(ctx, handler, job, generic_failure_message(job_id))
        return 1
    progress.finish()
    finish(sessions, job_id, JobStatus.SUCCEEDED)
    log.info("job %s (%s) succeeded", job_id, job.kind)
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s %(levelname)s worker[{os.getpid()}] %(message)s"
    )
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m openlookout.jobs.worker <job-id>", file=sys.stderr)
        return 2
    settings_json = os.environ.get(SETTINGS_ENV)
    settings = settings_from_json(settings_json) if settings_json else Settings.from_env()
    return run_job(settings, int(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
