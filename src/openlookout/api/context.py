"""What every protocol handler needs, built once by the app at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openlookout.api.auth import Authenticator
    from openlookout.blobs.base import BlobStore
    from openlookout.config import Settings
    from openlookout.service.custom_labels.facade import CustomLabelsService
    from openlookout.service.lookoutvision import LookoutVisionService


@dataclass
class AppContext:
    settings: Settings
    authenticator: Authenticator
    blobs: BlobStore
    lookoutvision: LookoutVisionService
    # Optional so contexts built for the other protocols alone (tests) need not make one.
    rekognition: CustomLabelsService | None = None
