"""Progress of a running job: its stage and percent, written to the job row as it goes.

A ``ProgressReporter`` is handed to every handler (``JobContext.progress``). Handlers call
``report(stage, percent)`` as often as they like: the reporter writes to the database in
its own short transaction at most once per ``min_interval`` seconds, and only when the
stage or the whole percent changed, so a fast loop cannot hammer the database. Percent
never goes back within one attempt. Every stage change is kept in ``progress_history``
(written with the next write), so stages shorter than the throttle are still recorded.
A failed write is logged and dropped: progress is never a reason for a job to fail.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openlookout.store.base import utcnow
from openlookout.store.common_tables import Job
from openlookout.store.db import write_session

log = logging.getLogger(__name__)

# (stage, percent 0-100): what ml/ and the handlers call while they work.
StageProgress = Callable[[str, float], None]
MIN_INTERVAL_SECONDS = 1.0
MAX_STAGE_LENGTH = 64  # the column's width
MAX_HISTORY = 100  # stages kept per attempt (the first ones, then the latest)
DONE_STAGE = "done"


def reset_progress(job: Job) -> None:
    """Clear the progress of the previous attempt (in the caller's transaction)."""
    job.progress_stage = None
    job.progress_percent = None
    job.progress_updated_at = None
    job.progress_history = None


class ProgressReporter:
    """Writes one job attempt's progress to its row; ``job_id=None`` reports nowhere."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | None,
        job_id: int | None,
        *,
        min_interval: float = MIN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._job_id = job_id
        self._min_interval = min_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._stage: str | None = None
        self._percent = 0
        self._history: list[dict[str, Any]] = []
        self._written: tuple[str | None, int] | None = None
        self._last_write: float | None = None

    @classmethod
    def disabled(cls) -> ProgressReporter:
        """For handlers run outside a worker (tests, scripts): reports are dropped."""
        return cls(None, None)

    @property
    def stage(self) -> str | None:
        return self._stage

    @property
    def percent(self) -> int:
        return self._percent

    def report(self, stage: str, percent: float) -> None:
        """The job is at ``stage``, ``percent`` (0-100) done; never raises."""
        try:
            with self._lock:
                self._update(stage, percent)
                now = self._clock()
                if self._due(now):
                    self._write(now)
        except Exception:
            log.exception("job %s: progress report failed; the job goes on", self._job_id)

    def count(self, stage: str, done: int, total: int, start: float = 0.0, end: float = 100.0) -> None:
        """``done`` of ``total`` items of ``stage``, placed between ``start`` and ``end`` percent."""
        fraction = done / total if total > 0 else 1.0
        self.report(stage, start + (end - start) * min(max(fraction, 0.0), 1.0))

    def scaled(self, start: float, end: float) -> StageProgress:
        """A ``StageProgress`` whose 0-100 maps onto ``start``-``end`` of this job."""

        def report(stage: str, percent: float) -> None:
            self.report(stage, start + (end - start) * min(max(percent, 0.0), 100.0) / 100.0)

        return report

    def flush(self) -> None:
        """Write what the throttle held back (a job attempt ends); never raises."""
        try:
            with self._lock:
                if self._stage is not None and (self._stage, self._percent) != self._written:
                    self._write(self._clock())
        except Exception:
            log.exception("job %s: progress flush failed", self._job_id)

    def finish(self) -> None:
        """The job succeeded: 100 %, stage ``done``, written at once."""
        try:
            with self._lock:
                self._update(DONE_STAGE, 100.0)
                self._write(self._clock())
        except Exception:
            log.exception("job %s: final progress write failed", self._job_id)

    # -- internals (called with the lock held) -----------------------------------------------

    def _update(self, stage: str, percent: float) -> None:
        stage = stage[:MAX_STAGE_LENGTH]
        whole = int(min(max(percent, 0.0), 100.0))
        self._percent = max(self._percent, whole)  # monotonic within the attempt
        if stage != self._stage:
            self._stage = stage
            self._remember(stage)

    def _remember(self, stage: str) -> None:
        entry = {"stage": stage, "percent": self._percent, "at": utcnow().isoformat()}
        if len(self._history) >= MAX_HISTORY:
            del self._history[MAX_HISTORY // 2]  # keep the first stages and the latest ones
        self._history.append(entry)

    def _due(self, now: float) -> bool:
        if (self._stage, self._percent) == self._written:
            return False
        return self._last_write is None or now - self._last_write >= self._min_interval

    def _write(self, now: float) -> None:
        self._last_write = now  # also on failure: a broken database is not retried in a tight loop
        if self._sessions is None or self._job_id is None:
            return
        with write_session(self._sessions) as session:
            job = session.get(Job, self._job_id)
            if job is None:
                return
            job.progress_stage = self._stage
            job.progress_percent = self._percent
            job.progress_updated_at = utcnow()
            job.progress_history = json.dumps(self._history)
        self._written = (self._stage, self._percent)
