"""One Lookout for Vision call: the service's backends and the request, as every rule receives them.

``LookoutVisionService.call`` builds one per request; each operation's rule takes it as its
first parameter, followed by the operation's members (service/common/operations.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from openlookout.access import Caller, CallerBlobStore
from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.jobs.runner import JobSubmitter
from openlookout.service.common.kms_keys import KeyResolver
from openlookout.service.common.request_context import RequestContext

if TYPE_CHECKING:
    # Only for the annotation: hosting.py imports the rule modules, which import this one.
    from openlookout.service.lookoutvision.hosting import ModelHosting


@dataclass(frozen=True)
class LookoutVisionCall:
    settings: Settings
    sessions: sessionmaker[Session]
    # The service's own blob store (its internal bucket); S3 locations a request names go
    # through ``s3``.
    blobs: BlobStore
    keyring: KeyResolver
    runner: JobSubmitter
    # The models hosted by this server process: one per service, shared by every call.
    hosting: ModelHosting
    context: RequestContext

    @property
    def caller(self) -> Caller:
        return self.context.caller

    @property
    def s3(self) -> CallerBlobStore:
        """The blob store with the caller's S3 permissions, for the S3 locations a request names."""
        return CallerBlobStore(self.blobs, self.context.caller, self.settings.internal_bucket)
