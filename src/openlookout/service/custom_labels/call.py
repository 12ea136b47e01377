"""The per-call view of the Custom Labels service: what every operation's rule receives first.

The facade (``facade.py``) builds one per request from its backends and the request's
``RequestContext``; rules take from it only what they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from openlookout.access import CallerBlobStore
from openlookout.blobs.base import BlobStore
from openlookout.config import Settings
from openlookout.jobs.runner import JobSubmitter
from openlookout.kms.keyring import Keyring
from openlookout.service.common.request_context import RequestContext

if TYPE_CHECKING:  # hosting.py's rules take this view: a runtime import would be circular
    from openlookout.service.custom_labels.hosting import CustomLabelsHosting


@dataclass(frozen=True)
class CustomLabelsCall:
    settings: Settings
    sessions: sessionmaker[Session]
    # The service's own store (internal bucket); S3 locations a request names go through ``s3``.
    blobs: BlobStore
    runner: JobSubmitter
    # The same keyring file as Lookout for Vision's (KmsKeyId, spec B.9).
    keyring: Keyring
    # Stateful (hosted units, thresholds): one per facade, shared by its calls.
    hosting: CustomLabelsHosting
    context: RequestContext

    @property
    def s3(self) -> CallerBlobStore:
        """The blob store with the caller's S3 permissions, for the S3 locations a request names."""
        return CallerBlobStore(self.blobs, self.context.caller, self.settings.internal_bucket)
