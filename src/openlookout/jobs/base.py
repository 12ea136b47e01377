"""Contracts between the job runner and the job handlers.

The runner (``jobs/runner.py``) owns scheduling, worker processes, attempts
and crash recovery. Handlers (``jobs/handlers.py`` registry, implemented in
``service/``) own the domain work and the resource status they move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from openlookout.jobs.progress import ProgressReporter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from openlookout.blobs.base import BlobStore
    from openlookout.config import Settings
    from openlookout.kms.keyring import Keyring
    from openlookout.store.common_tables import Job


class JobStatus(StrEnum):
    """A job row's status: QUEUED -> RUNNING -> SUCCEEDED | FAILED (RUNNING -> QUEUED on a retry)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class JobFailed(Exception):
    """Raised by a handler for an expected failure; ``message`` becomes the resource's StatusMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class JobContext:
    settings: Settings
    sessions: sessionmaker[Session]
    blobs: BlobStore
    keyring: Keyring
    # The worker gives each attempt one bound to its job row; elsewhere reports go nowhere.
    progress: ProgressReporter = field(default_factory=ProgressReporter.disabled)


class JobHandler(Protocol):
    kind: str

    def run(self, ctx: JobContext, job: Job) -> None:
        """Do the work and move the resource to its final success status.

        Must be safe to re-run from the start after a crash: write artefacts
        with atomic puts, and commit the final status in one transaction.
        Long work reports its stage and percent through ``ctx.progress``.
        """

    def fail(self, ctx: JobContext, job: Job, message: str) -> None:
        """Move the resource to its failed status with ``message`` (user-facing)."""
