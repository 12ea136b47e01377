"""Fixtures: the real facade on a temp SQLite database and local blob store; the job runner is not started."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_helpers import OUT_BUCKET, add_model

from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.hosting.local import LocalModelHost
from openlookout.jobs.runner import LocalJobRunner
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.db import open_database


@pytest.fixture
def service(tmp_path: Path) -> LookoutVisionService:
    settings = Settings(data_dir=tmp_path / "data")
    sessions = open_database(settings)
    blobs = LocalBlobStore(settings.buckets_dir)
    blobs.create_bucket(OUT_BUCKET)
    # Never started: queued jobs stay QUEUED, which is what these tests inspect.
    return LookoutVisionService(
        settings, sessions, blobs, None, LocalJobRunner(settings, sessions), LocalModelHost()
    )


@pytest.fixture
def trained(service: LookoutVisionService) -> LookoutVisionService:
    """Project ``p`` with model 1 TRAINED."""
    service.create_project("p")
    add_model(service.sessions, "p", "TRAINED")
    return service
