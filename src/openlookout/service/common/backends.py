"""What both service facades are built on, and the part of their per-call views they share.

Lookout for Vision and Custom Labels each add their keyring (typed as each needs it) and
their stateful hosting; the rest (settings, database, internal blob store, job runner, and
the caller's view of S3) is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from openlookout.access import CallerBlobStore
from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.jobs.runner import JobSubmitter
from openlookout.service.common.operations import OperationFacade
from openlookout.service.common.request_context import RequestContext

CallT = TypeVar("CallT")


@dataclass(frozen=True)
class ServiceCall:
    """The backends and the request, as every rule receives them first."""

    settings: Settings
    sessions: sessionmaker[Session]
    # The service's own store (internal bucket); S3 locations a request names go through ``s3``.
    blobs: BlobStore
    runner: JobSubmitter
    context: RequestContext

    @property
    def s3(self) -> CallerBlobStore:
        """The blob store with the caller's S3 permissions, for the S3 locations a request names."""
        return CallerBlobStore(self.blobs, self.context.caller, self.settings.internal_bucket)


class CallBackends(TypedDict):
    """``ServiceCall``'s fields, for ``Call(**facade.backends(context), ...)``."""

    settings: Settings
    sessions: sessionmaker[Session]
    blobs: BlobStore
    runner: JobSubmitter
    context: RequestContext


class BackedFacade(OperationFacade[CallT]):
    """An operation facade over the backends every ``ServiceCall`` carries."""

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], blobs: BlobStore, runner: JobSubmitter
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.blobs = blobs
        self.runner = runner

    def backends(self, context: RequestContext) -> CallBackends:
        """The shared part of ``call(context)``."""
        return CallBackends(
            settings=self.settings,
            sessions=self.sessions,
            blobs=self.blobs,
            runner=self.runner,
            context=context,
        )
