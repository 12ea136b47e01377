"""What every protocol handler needs, built once by the app at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openlookout.api.auth import Authenticator
    from openlookout.blobs.base import BlobStore
    from openlookout.config import Settings
    from openlookout.service.lookoutvision import LookoutVisionService


@dataclass
class AppContext:
    settings: Settings
    authenticator: Authenticator
    blobs: BlobStore
    lookoutvision: LookoutVisionService
