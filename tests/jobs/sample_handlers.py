"""Test-only job kinds, loaded by worker processes through OPENLOOKOUT_EXTRA_JOB_HANDLERS.

Each handler records what happened as files in the data dir, since it runs in
another process: ``job-<id>.run-<attempt>`` per run, ``job-<id>.done`` on
success and ``job-<id>.failed`` (holding the message) from ``fail``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from openlookout.jobs.base import JobContext, JobFailed
from openlookout.store.common_tables import Job


def _mark(ctx: JobContext, job: Job, suffix: str, text: str = "") -> None:
    Path(ctx.settings.data_dir, f"job-{job.id}.{suffix}").write_text(text)


class _Recording:
    kind = ""

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        _mark(ctx, job, "failed", message)


class SleepHandler(_Recording):
    """Sleeps ``first_seconds`` on the first attempt and ``seconds`` afterwards."""

    kind = "test_sleep"

    def run(self, ctx: JobContext, job: Job) -> None:
        with ctx.sessions() as session:
            attempt = session.get(Job, job.id).attempts
        _mark(ctx, job, f"run-{attempt}")
        payload = json.loads(job.payload)
        time.sleep(payload.get("first_seconds", 0) if attempt == 1 else payload.get("seconds", 0))
        _mark(ctx, job, "done")


class CrashHandler(_Recording):
    """Dies like a segfault or an OOM kill: no exception, no outcome recorded."""

    kind = "test_crash"

    def run(self, ctx: JobContext, job: Job) -> None:
        _mark(ctx, job, f"run-{time.monotonic_ns()}")
        os.kill(os.getpid(), signal.SIGKILL)


class RefuseHandler(_Recording):
    kind = "test_refuse"

    def run(self, ctx: JobContext, job: Job) -> None:
        raise JobFailed("Images in the dataset must have the same dimensions.")


class BugHandler(_Recording):
    kind = "test_bug"

    def run(self, ctx: JobContext, job: Job) -> None:
        raise RuntimeError("internal detail that users must not see")


class ProgressHandler(_Recording):
    """Reports stages; on its first attempt, dies like an OOM kill at 70 % when ``crash_first``."""

    kind = "test_progress"

    def run(self, ctx: JobContext, job: Job) -> None:
        with ctx.sessions() as session:
            attempt = session.get(Job, job.id).attempts
        if attempt == 1 and json.loads(job.payload).get("crash_first"):
            ctx.progress.report("doomed", 70)
            ctx.progress.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        for step in range(1, 201):  # a fast loop: the reporter's throttle keeps the writes few
            ctx.progress.count("counting", step, 200, 0, 50)
        ctx.progress.report("last part", 90)


ALL = ",".join(
    f"sample_handlers:{name}"
    for name in ("SleepHandler", "CrashHandler", "RefuseHandler", "BugHandler", "ProgressHandler")
)
