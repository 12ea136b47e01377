"""Local job runner: worker processes on this machine, crash recovery on start.

One daemon thread launches queued jobs as ``python -m openlookout.jobs.worker
<job-id>`` (at most ``Settings.job_workers`` at once) and watches them. A worker
that exits without recording an outcome (segfault, OOM kill) is treated like
an interrupted job: re-queued, or failed through its handler once it has used
``Settings.max_job_attempts`` attempts. ``start()`` applies the same rule to
jobs left RUNNING by a server that died, after killing any orphan worker still
running them. One runner per metadata database is assumed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openlookout.config import Settings
from openlookout.jobs.base import JobContext, JobStatus
from openlookout.jobs.handlers import UnknownJobKind, get_handler
from openlookout.jobs.progress import reset_progress
from openlookout.jobs.worker import (
    SETTINGS_ENV,
    build_context,
    fail_through_handler,
    finish,
    settings_to_json,
)
from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import write_session

log = logging.getLogger(__name__)

WORKER_MODULE = "openlookout.jobs.worker"
POLL_SECONDS = 0.5
ORPHAN_KILL_WAIT_SECONDS = 10.0
SERVER_STOPPED_MESSAGE = (
    "The server stopped while this job was running, {attempts} time(s); the job was not retried again."
)
WORKER_DIED_MESSAGE = (
    "The job's worker process stopped unexpectedly (exit code {code}) after {attempts} attempt(s)."
)


class JobSubmitter(Protocol):
    def submit(self, job_id: int) -> None: ...


def queue_job(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    project_id: int | None = None,
    dataset_id: int | None = None,
    model_id: int | None = None,
) -> Job:
    """Add a QUEUED job in the caller's transaction (commit, then ``runner.submit(job.id)``)."""
    now = utcnow()
    job = Job(
        kind=kind,
        payload=json.dumps(payload),
        status=JobStatus.QUEUED,
        attempts=0,
        created_at=now,
        updated_at=now,
        project_id=project_id,
        dataset_id=dataset_id,
        model_id=model_id,
    )
    session.add(job)
    session.flush()
    return job


class LocalJobRunner:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: JobContext | None = None

    # -- public API -------------------------------------------------------------------------

    def start(self) -> None:
        """Recover interrupted jobs, then start launching queued ones."""
        if self._thread is not None:
            return
        self.recover()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="openlookout-job-runner", daemon=True)
        self._thread.start()

    def submit(self, job_id: int) -> None:
        """A job row was committed: look for work now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop launching; terminate running workers and put their jobs back in the queue.

        An interrupted job restarts from the beginning at the next ``start()``;
        a stop does not count as one of its attempts.
        """
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        deadline = time.monotonic() + timeout
        for proc in self._children.values():
            proc.terminate()
        for job_id, proc in list(self._children.items()):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self._requeue_after_stop(job_id, proc.pid)
        self._children.clear()

    def wait_idle(self, timeout: float) -> bool:
        """True once no job is queued or running (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.sessions() as session:
                busy = session.scalars(
                    select(Job.id).where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
                ).first()
            if busy is None and not self._children:
                return True
            time.sleep(0.1)
        return False

    # -- recovery ---------------------------------------------------------------------------

    def recover(self) -> None:
        """Settle every RUNNING job left by a previous server process."""
        with self.sessions() as session:
            running = session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()
        for job in running:
            if job.id in self._children:
                continue
            if job.worker_pid is not None and is_worker_of(job.worker_pid, job.id):
                log.warning("job %s: killing orphan worker pid %s", job.id, job.worker_pid)
                kill_and_wait(job.worker_pid, ORPHAN_KILL_WAIT_SECONDS)
            self._retry_or_fail(job.id, SERVER_STOPPED_MESSAGE, expected_pid=job.worker_pid)

    def _retry_or_fail(
        self, job_id: int, message_template: str, expected_pid: int | None, **fmt: Any
    ) -> None:
        """Re-queue an interrupted job, or fail it through its handler when out of attempts."""
        with write_session(self.sessions) as session:
            job = session.get(Job, job_id)
            if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
                return  # it finished after all
            if job.status == JobStatus.RUNNING and job.worker_pid != expected_pid:
                return  # someone else runs it now
            if job.status == JobStatus.QUEUED:
                # The worker died before claiming it: that still counts as an attempt.
                job.attempts += 1
            job.updated_at = utcnow()
            if job.attempts < self.settings.max_job_attempts:
                log.warning(
                    "job %s (%s): interrupted, re-queued (attempt %s)", job.id, job.kind, job.attempts
                )
                job.status, job.worker_pid = JobStatus.QUEUED, None
                reset_progress(job)  # queued again: the interrupted attempt's progress is void
                self._wake.set()
                return
            message = message_template.format(attempts=job.attempts, **fmt)
        self._fail(job, message)

    def _fail(self, job: Job, message: str) -> None:
        log.error("job %s (%s): failing: %s", job.id, job.kind, message)
        try:
            handler = get_handler(job.kind)
            ctx = self._job_context()
        except (UnknownJobKind, ImportError) as exc:
            log.error("job %s: cannot reach its handler (%s); marking it FAILED only", job.id, exc)
            finish(self.sessions, job.id, JobStatus.FAILED, message)
            return
        fail_through_handler(ctx, handler, job, message)

    def _job_context(self) -> JobContext:
        if self._context is None:
            self._context = build_context(self.settings, self.sessions)
        return self._context

    def _requeue_after_stop(self, job_id: int, pid: int) -> None:
        with write_session(self.sessions) as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.RUNNING or job.worker_pid != pid:
                return
            job.status, job.worker_pid = JobStatus.QUEUED, None
            job.attempts = max(0, job.attempts - 1)
            reset_progress(job)
            job.updated_at = utcnow()

    # -- the runner thread ------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._reap_children()
                if not self._stopping.is_set():
                    self._launch_queued()
            except Exception:
                # Keep the runner alive through a transient DB error; the next poll retries.
                log.exception("job runner iteration failed")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _reap_children(self) -> None:
        for job_id, proc in list(self._children.items()):
            code = proc.poll()
            if code is None:
                continue
            del self._children[job_id]
            self._retry_or_fail(job_id, WORKER_DIED_MESSAGE, expected_pid=proc.pid, code=code)

    def _launch_queued(self) -> None:
        free = self.settings.job_workers - len(self._children)
        if free <= 0:
            return
        with self.sessions() as session:
            stmt = select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id)
            if self._children:
                stmt = stmt.where(Job.id.not_in(list(self._children)))
            job_ids = session.scalars(stmt.limit(free)).all()
        for job_id in job_ids:
            self._children[job_id] = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, str(job_id)], env=self._worker_env()
            )
            log.info("job %s: started worker pid %s", job_id, self._children[job_id].pid)

    def _worker_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[SETTINGS_ENV] = settings_to_json(self.settings)
        return env


def is_worker_of(pid: int, job_id: int) -> bool:
    """True when ``pid`` is a live worker process for ``job_id`` (Linux /proc; False elsewhere)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return WORKER_MODULE.encode() in args and str(job_id).encode() in args and not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def kill_and_wait(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return
        time.sleep(0.05)
    log.error("pid %s did not exit after SIGKILL", pid)
